-- The definition of report_company_genre_year over the model: per production company, release
-- year and genre (SPEC 5; movies without a year are in no group), the number of movies behind
-- company_genre_yearly.csv's `releases`. Kept and checked as report_company_year.sql says.
SELECT
  mc.company_id,
  m.release_year AS year,
  mg.genre_id,
  COUNT(*) AS movies
FROM movie m
CROSS JOIN movie_company mc
CROSS JOIN movie_genre mg
WHERE mc.movie_id = m.id AND mg.movie_id = m.id AND m.release_year IS NOT NULL
GROUP BY mc.company_id, m.release_year, mg.genre_id
ORDER BY mc.company_id, m.release_year, mg.genre_id
