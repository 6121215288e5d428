-- Question 6: the most popular genre of each year, i.e. rank 1 of genre_yearly.sql: the highest
-- average popularity as written (six decimals), then more movies, then the lower genre_id
-- (SPEC 5). Runs unchanged on SQLite and PostgreSQL.
WITH grouped AS (
  SELECT
    m.release_year AS year,
    mg.genre_id,
    COUNT(*) AS movies,
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
  END AS avg_popularity
FROM ranked k
JOIN genre g ON g.id = k.genre_id
WHERE k.popularity_rank = 1
ORDER BY k.year
