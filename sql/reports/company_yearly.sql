-- Questions 1, 2, 3 and 5: budget, revenue, profit and average popularity of the movies each
-- production company made, per release year (SPEC 5). Runs unchanged on SQLite and PostgreSQL.
--   budget/revenue: NULL means unknown (0 in the source), so counts say how many movies a sum covers
--   profit: summed per movie over the movies with both values known, not total_revenue - total_budget
--   avg_popularity: the exact mean of popularity in millionths, rounded half to even, six decimals
WITH grouped AS (
  SELECT
    mc.company_id,
    m.release_year AS year,
    COUNT(*) AS movies,
    COUNT(m.budget) AS budget_movies,
    CAST(SUM(m.budget) AS BIGINT) AS total_budget,
    COUNT(m.revenue) AS revenue_movies,
    CAST(SUM(m.revenue) AS BIGINT) AS total_revenue,
    COUNT(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL THEN 1 END) AS profit_movies,
    CAST(SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
                  THEN m.revenue - m.budget END) AS BIGINT) AS total_profit,
    CAST(SUM(m.popularity_micros) AS BIGINT) AS popularity_sum,
    COUNT(m.popularity_micros) AS popularity_count
  FROM movie m
  JOIN movie_company mc ON mc.movie_id = m.id
  WHERE m.release_year IS NOT NULL
  GROUP BY mc.company_id, m.release_year
),
divided AS (
  SELECT g.*,
         g.popularity_sum / NULLIF(g.popularity_count, 0) AS q,
         g.popularity_sum - (g.popularity_sum / NULLIF(g.popularity_count, 0)) * g.popularity_count AS r
  FROM grouped g
),
rounded AS (
  SELECT d.*,
         CASE
           WHEN d.r >= 0 THEN d.q + CASE WHEN 2 * d.r > d.popularity_count
                                          OR (2 * d.r = d.popularity_count AND d.q % 2 <> 0)
                                         THEN 1 ELSE 0 END
           ELSE d.q - CASE WHEN -2 * d.r > d.popularity_count
                                OR (-2 * d.r = d.popularity_count AND d.q % 2 <> 0)
                           THEN 1 ELSE 0 END
         END AS avg_micros
  FROM divided d
)
SELECT
  r.company_id,
  pc.name AS company_name,
  r.year,
  r.movies,
  r.budget_movies,
  r.total_budget,
  r.revenue_movies,
  r.total_revenue,
  r.profit_movies,
  r.total_profit,
  CASE WHEN r.avg_micros IS NULL THEN NULL
       ELSE CASE WHEN r.avg_micros < 0 THEN '-' ELSE '' END
            || CAST(ABS(r.avg_micros) / 1000000 AS TEXT) || '.'
            || SUBSTR(CAST(1000000 + ABS(r.avg_micros) % 1000000 AS TEXT), 2)
  END AS avg_popularity
FROM rounded r
JOIN production_company pc ON pc.id = r.company_id
ORDER BY r.company_id, r.year
