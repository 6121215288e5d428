-- Questions 7, 8 and 9: budget, revenue and profit by genre by year, with each genre's average
-- popularity and its popularity rank within the year (SPEC 5). Runs unchanged on SQLite and
-- PostgreSQL.
--   a movie with several genres counts once in each
--   budget/revenue: NULL means unknown (0 in the source)
--   profit: summed per movie over the movies with both values known
--   avg_popularity: exact mean in millionths, rounded half to even, six decimals
--   popularity_rank: avg_popularity as written descending (none last), then movies descending,
--                    then genre_id ascending; 1, 2, 3, ... with no ties
WITH grouped AS (
  SELECT
    m.release_year AS year,
    mg.genre_id,
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
  JOIN movie_genre mg ON mg.movie_id = m.id
  WHERE m.release_year IS NOT NULL
  GROUP BY m.release_year, mg.genre_id
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
),
ranked AS (
  SELECT r.*,
         ROW_NUMBER() OVER (PARTITION BY r.year
                            ORDER BY r.avg_micros DESC NULLS LAST, r.movies DESC, r.genre_id) AS popularity_rank
  FROM rounded r
)
SELECT
  k.year,
  k.genre_id,
  g.name AS genre_name,
  k.movies,
  CASE WHEN k.avg_micros IS NULL THEN NULL
       ELSE CASE WHEN k.avg_micros < 0 THEN '-' ELSE '' END
            || CAST(ABS(k.avg_micros) / 1000000 AS TEXT) || '.'
            || SUBSTR(CAST(1000000 + ABS(k.avg_micros) % 1000000 AS TEXT), 2)
  END AS avg_popularity,
  k.popularity_rank,
  k.budget_movies,
  k.total_budget,
  k.revenue_movies,
  k.total_revenue,
  k.profit_movies,
  k.total_profit
FROM ranked k
JOIN genre g ON g.id = k.genre_id
ORDER BY k.year, k.popularity_rank
