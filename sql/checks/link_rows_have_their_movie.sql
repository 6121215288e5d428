-- Every link row's movie exists (the loader skips per-row foreign key checks for speed, so this
-- is where an orphan would show). Returns the failing keys.
SELECT 'movie_genre ' || CAST(l.movie_id AS TEXT) || '/' || CAST(l.genre_id AS TEXT) AS failing_key
FROM movie_genre l LEFT JOIN movie m ON m.id = l.movie_id WHERE m.id IS NULL
UNION ALL
SELECT 'movie_company ' || CAST(l.movie_id AS TEXT) || '/' || CAST(l.company_id AS TEXT)
FROM movie_company l LEFT JOIN movie m ON m.id = l.movie_id WHERE m.id IS NULL
UNION ALL
SELECT 'movie_country ' || CAST(l.movie_id AS TEXT) || '/' || l.iso_3166_1
FROM movie_country l LEFT JOIN movie m ON m.id = l.movie_id WHERE m.id IS NULL
UNION ALL
SELECT 'movie_language ' || CAST(l.movie_id AS TEXT) || '/' || l.iso_639_1
FROM movie_language l LEFT JOIN movie m ON m.id = l.movie_id WHERE m.id IS NULL
