-- Question 6: the most popular genre of each release year, its rank 1 in genre_yearly.csv
-- (SPEC 5). Runs unchanged on SQLite and PostgreSQL. src/report/report_query.hpp computes
-- avg_popularity exactly from the split sum, ranks the year's genres as genre_yearly does and
-- keeps the first.
SELECT
  m.release_year AS year,
  mg.genre_id,
  g.name AS genre_name,
  COUNT(*) AS movies,
  SUM(m.popularity_micros / 1000000000) AS avg_popularity__e9,
  SUM(m.popularity_micros % 1000000000) AS avg_popularity__e0,
  COUNT(m.popularity_micros) AS avg_popularity__n
FROM movie m
JOIN movie_genre mg ON mg.movie_id = m.id
JOIN genre g ON g.id = mg.genre_id
WHERE m.release_year IS NOT NULL
GROUP BY m.release_year, mg.genre_id, g.name
ORDER BY m.release_year, mg.genre_id
