-- Question 4: releases of each production company per year and genre (SPEC 5). A movie with
-- several genres counts once in each of them. Runs unchanged on SQLite and PostgreSQL.
SELECT
  mc.company_id,
  pc.name AS company_name,
  m.release_year AS year,
  mg.genre_id,
  g.name AS genre_name,
  COUNT(*) AS releases
FROM movie m
JOIN movie_company mc ON mc.movie_id = m.id
JOIN movie_genre mg ON mg.movie_id = m.id
JOIN production_company pc ON pc.id = mc.company_id
JOIN genre g ON g.id = mg.genre_id
WHERE m.release_year IS NOT NULL
GROUP BY mc.company_id, pc.name, m.release_year, mg.genre_id, g.name
ORDER BY mc.company_id, m.release_year, mg.genre_id
