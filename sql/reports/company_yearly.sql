-- Questions 1, 2, 3 and 5: budget, revenue, profit and average popularity of the movies each
-- production company made, per release year (SPEC 5). Runs unchanged on SQLite and PostgreSQL.
--   budget/revenue: NULL means unknown (0 in the source), so counts say how many movies a sum covers
--   profit: summed per movie over the movies with both values known, not total_revenue - total_budget
--   avg_popularity: the exact mean of popularity in millionths, rounded half to even, six decimals
-- Totals are exact at any size: each sum is split into SUM(x / 10^9) and SUM(x % 10^9), which
-- cannot overflow 64 bits, and src/report/report_query.hpp joins the parts (X__e9, X__e0) into the
-- exact total and divides the popularity sum by its count (X__n) with 128-bit arithmetic.
SELECT
  mc.company_id,
  pc.name AS company_name,
  m.release_year AS year,
  COUNT(*) AS movies,
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
           THEN m.revenue % 1000000000 - m.budget % 1000000000 END) AS total_profit__e0,
  SUM(m.popularity_micros / 1000000000) AS avg_popularity__e9,
  SUM(m.popularity_micros % 1000000000) AS avg_popularity__e0,
  COUNT(m.popularity_micros) AS avg_popularity__n
FROM movie m
JOIN movie_company mc ON mc.movie_id = m.id
JOIN production_company pc ON pc.id = mc.company_id
WHERE m.release_year IS NOT NULL
GROUP BY mc.company_id, pc.name, m.release_year
ORDER BY mc.company_id, m.release_year
