-- The definition of report_genre_year over the model: per release year and genre (SPEC 5;
-- movies without a year are in no group), the counts and exact sums behind genre_yearly.csv and
-- most_popular_genre_by_year.csv, split as in report_company_year.sql.
-- Batches keep the table up to date by difference (src/store/report_aggregates.cpp); this query
-- fills it on a first load and a migration, and sql/checks/report_aggregates_match_model proves
-- the kept table equal to it.
SELECT
  m.release_year AS year,
  mg.genre_id,
  COUNT(*) AS movies,
  COUNT(m.budget) AS budget_movies,
  COALESCE(SUM(m.budget / 1000000000), 0) AS budget_e9,
  COALESCE(SUM(m.budget % 1000000000), 0) AS budget_e0,
  COUNT(m.revenue) AS revenue_movies,
  COALESCE(SUM(m.revenue / 1000000000), 0) AS revenue_e9,
  COALESCE(SUM(m.revenue % 1000000000), 0) AS revenue_e0,
  COUNT(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL THEN 1 END) AS profit_movies,
  COALESCE(SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
                    THEN m.revenue / 1000000000 - m.budget / 1000000000 END), 0) AS profit_e9,
  COALESCE(SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
                    THEN m.revenue % 1000000000 - m.budget % 1000000000 END), 0) AS profit_e0,
  COUNT(m.popularity_micros) AS popularity_movies,
  COALESCE(SUM(m.popularity_micros / 1000000000), 0) AS popularity_e9,
  COALESCE(SUM(m.popularity_micros % 1000000000), 0) AS popularity_e0
FROM movie m
CROSS JOIN movie_genre mg
WHERE mg.movie_id = m.id AND m.release_year IS NOT NULL
GROUP BY m.release_year, mg.genre_id
ORDER BY m.release_year, mg.genre_id
