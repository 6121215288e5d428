-- Questions 7, 8 and 9: per release year and genre, the movies, their average popularity and its
-- rank among the year's genres, and the budget, revenue and profit totals (SPEC 5). Runs unchanged
-- on SQLite and PostgreSQL. Read from report_genre_year, kept by every batch
-- (sql/aggregates/report_genre_year.sql defines it); sums are split as in company_yearly.sql.
-- src/report/report_query.hpp joins them exactly, computes avg_popularity and fills
-- popularity_rank: genres by avg_popularity as written descending (empty last), then movies
-- descending, then genre_id, ranks with no ties.
SELECT
  a.year,
  a.genre_id,
  g.name AS genre_name,
  a.movies,
  CASE WHEN a.popularity_movies > 0 THEN a.popularity_e9 END AS avg_popularity__e9,
  CASE WHEN a.popularity_movies > 0 THEN a.popularity_e0 END AS avg_popularity__e0,
  a.popularity_movies AS avg_popularity__n,
  NULL AS popularity_rank,
  a.budget_movies,
  CASE WHEN a.budget_movies > 0 THEN a.budget_e9 END AS total_budget__e9,
  CASE WHEN a.budget_movies > 0 THEN a.budget_e0 END AS total_budget__e0,
  a.revenue_movies,
  CASE WHEN a.revenue_movies > 0 THEN a.revenue_e9 END AS total_revenue__e9,
  CASE WHEN a.revenue_movies > 0 THEN a.revenue_e0 END AS total_revenue__e0,
  a.profit_movies,
  CASE WHEN a.profit_movies > 0 THEN a.profit_e9 END AS total_profit__e9,
  CASE WHEN a.profit_movies > 0 THEN a.profit_e0 END AS total_profit__e0
FROM report_genre_year a
JOIN genre g ON g.id = a.genre_id
ORDER BY a.year, a.genre_id
