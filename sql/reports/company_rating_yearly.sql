-- The MovieLens ratings of each production company's movies, per release year (SPEC 5); the
-- same rules as genre_rating_yearly.sql. Runs unchanged on SQLite and PostgreSQL.
SELECT
  mc.company_id,
  pc.name AS company_name,
  m.release_year AS year,
  COUNT(*) AS rated_movies,
  SUM(t.ratings) AS ratings,
  SUM(t.rating_halves) AS avg_rating__halves,
  SUM(t.ratings) AS avg_rating__n
FROM (
  SELECT l.tmdb_id AS movie_id, SUM(r.ratings) AS ratings, SUM(r.rating_halves) AS rating_halves
  FROM link l
  JOIN rating_total r ON r.movielens_id = l.movielens_id
  WHERE l.tmdb_id IS NOT NULL
  GROUP BY l.tmdb_id
) t
JOIN movie m ON m.id = t.movie_id
JOIN movie_company mc ON mc.movie_id = m.id
JOIN production_company pc ON pc.id = mc.company_id
WHERE m.release_year IS NOT NULL
GROUP BY mc.company_id, pc.name, m.release_year
ORDER BY mc.company_id, m.release_year
