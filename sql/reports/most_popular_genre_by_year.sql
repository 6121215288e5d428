-- Question 6: the most popular genre of each release year, its rank 1 in genre_yearly.csv
-- (SPEC 5). Runs unchanged on SQLite and PostgreSQL. Read from report_genre_year, kept by every
-- batch (sql/aggregates/report_genre_year.sql defines it). src/report/report_query.hpp computes
-- avg_popularity exactly from the split sum, ranks the year's genres as genre_yearly does and
-- keeps the first.
SELECT
  a.year,
  a.genre_id,
  g.name AS genre_name,
  a.movies,
  CASE WHEN a.popularity_movies > 0 THEN a.popularity_e9 END AS avg_popularity__e9,
  CASE WHEN a.popularity_movies > 0 THEN a.popularity_e0 END AS avg_popularity__e0,
  a.popularity_movies AS avg_popularity__n
FROM report_genre_year a
JOIN genre g ON g.id = a.genre_id
ORDER BY a.year, a.genre_id
