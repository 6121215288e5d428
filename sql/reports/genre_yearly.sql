-- Questions 7, 8 and 9: per release year and genre, the movies, their average popularity and its
-- rank among the year's genres, and the budget, revenue and profit totals (SPEC 5). Runs unchanged
-- on SQLite and PostgreSQL. Sums are split as in company_yearly.sql; src/report/report_query.hpp
-- joins them exactly, computes avg_popularity and fills popularity_rank: genres by avg_popularity
-- as written descending (empty last), then movies descending, then genre_id, ranks with no ties.
SELECT
  m.release_year AS year,
  mg.genre_id,
  g.name AS genre_name,
  COUNT(*) AS movies,
  SUM(m.popularity_micros / 1000000000) AS avg_popularity__e9,
  SUM(m.popularity_micros % 1000000000) AS avg_popularity__e0,
  COUNT(m.popularity_micros) AS avg_popularity__n,
  NULL AS popularity_rank,
  COUNT(m.budget) AS budget_movies,
  SUM(m.budget / 1000000000) AS total_budget__e9,
  SUM(m.budget % 1000000000) AS total_budget__e0,
  COUNT(m.revenue) AS revenue_movies,
  SUM(m.revenue / 1000000000) AS total_revenue__e9,
  SUM(m.revenue % 1000000000) AS total_revenue__e0,
  COUNT(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL THEN 1 END) AS profit_movies,
  SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
           THEN m.revenue / 1000000000 - m.budget / 1000000000 END) AS total_profit__e9,
  SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
           THEN m.revenue % 1000000000 - m.budget % 1000000000 END) AS total_profit__e0
FROM movie m
JOIN movie_genre mg ON mg.movie_id = m.id
JOIN genre g ON g.id = mg.genre_id
WHERE m.release_year IS NOT NULL
GROUP BY m.release_year, mg.genre_id, g.name
ORDER BY m.release_year, mg.genre_id
