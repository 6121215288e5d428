-- Questions 1, 2, 3 and 5: budget, revenue, profit and average popularity of the movies each
-- production company made, per release year (SPEC 5). Runs unchanged on SQLite and PostgreSQL.
-- Read from report_company_year, the counts and exact sums each batch keeps up to date
-- (sql/aggregates/report_company_year.sql defines them over the model):
--   budget/revenue: NULL means unknown (0 in the source), so counts say how many movies a sum covers
--   profit: summed per movie over the movies with both values known, not total_revenue - total_budget
--   avg_popularity: the exact mean of popularity in millionths, rounded half to even, six decimals
-- Sums are kept split as SUM(x / 10^9), SUM(x % 10^9); src/report/report_query.hpp joins the parts
-- (X__e9, X__e0) into the exact total and divides the popularity sum by its count (X__n) with
-- 128-bit arithmetic. A sum over no movie is empty.
SELECT
  a.company_id,
  pc.name AS company_name,
  a.year,
  a.movies,
  a.budget_movies,
  CASE WHEN a.budget_movies > 0 THEN a.budget_e9 END AS total_budget__e9,
  CASE WHEN a.budget_movies > 0 THEN a.budget_e0 END AS total_budget__e0,
  a.revenue_movies,
  CASE WHEN a.revenue_movies > 0 THEN a.revenue_e9 END AS total_revenue__e9,
  CASE WHEN a.revenue_movies > 0 THEN a.revenue_e0 END AS total_revenue__e0,
  a.profit_movies,
  CASE WHEN a.profit_movies > 0 THEN a.profit_e9 END AS total_profit__e9,
  CASE WHEN a.profit_movies > 0 THEN a.profit_e0 END AS total_profit__e0,
  CASE WHEN a.popularity_movies > 0 THEN a.popularity_e9 END AS avg_popularity__e9,
  CASE WHEN a.popularity_movies > 0 THEN a.popularity_e0 END AS avg_popularity__e0,
  a.popularity_movies AS avg_popularity__n
FROM report_company_year a
JOIN production_company pc ON pc.id = a.company_id
ORDER BY a.company_id, a.year
