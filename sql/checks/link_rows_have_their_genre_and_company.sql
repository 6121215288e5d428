-- Every movie_genre row names a genre and every movie_company row a company that exist, for the
-- movies of the batch (the parameter): the loader skips per-row foreign key checks for speed.
SELECT 'movie_genre ' || CAST(l.movie_id AS TEXT) || '/' || CAST(l.genre_id AS TEXT) AS failing_key
FROM movie m
JOIN movie_genre l ON l.movie_id = m.id
LEFT JOIN genre g ON g.id = l.genre_id
WHERE m.batch_id = ? AND g.id IS NULL
UNION ALL
SELECT 'movie_company ' || CAST(l.movie_id AS TEXT) || '/' || CAST(l.company_id AS TEXT)
FROM movie m
JOIN movie_company l ON l.movie_id = m.id
LEFT JOIN production_company c ON c.id = l.company_id
WHERE m.batch_id = ? AND c.id IS NULL
