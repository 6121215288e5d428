-- Every movie_genre row names a genre and every movie_company row a company that exist.
SELECT 'movie_genre ' || CAST(l.movie_id AS TEXT) || '/' || CAST(l.genre_id AS TEXT) AS failing_key
FROM movie_genre l LEFT JOIN genre g ON g.id = l.genre_id WHERE g.id IS NULL
UNION ALL
SELECT 'movie_company ' || CAST(l.movie_id AS TEXT) || '/' || CAST(l.company_id AS TEXT)
FROM movie_company l LEFT JOIN production_company c ON c.id = l.company_id WHERE c.id IS NULL
