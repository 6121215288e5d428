-- Question 4: releases of each production company per year and genre (SPEC 5). A movie with
-- several genres counts once in each of them. Runs unchanged on SQLite and PostgreSQL.
-- Grouped by ids first and named after: grouping on the name strings too made the sort keys
-- several times longer (0.98 s -> 0.60 s on SQLite at scale 1).
WITH counted AS (
  SELECT
    mc.company_id,
    m.release_year AS year,
    mg.genre_id,
    COUNT(*) AS releases
  FROM movie m
  JOIN movie_company mc ON mc.movie_id = m.id
  JOIN movie_genre mg ON mg.movie_id = m.id
  WHERE m.release_year IS NOT NULL
  GROUP BY mc.company_id, m.release_year, mg.genre_id
)
SELECT
  c.company_id,
  pc.name AS company_name,
  c.year,
  c.genre_id,
  g.name AS genre_name,
  c.releases
FROM counted c
JOIN production_company pc ON pc.id = c.company_id
JOIN genre g ON g.id = c.genre_id
ORDER BY c.company_id, c.year, c.genre_id
