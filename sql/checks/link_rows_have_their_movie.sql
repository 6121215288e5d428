-- Every link row's movie exists. This one reads every link row, so it runs after snapshot loads
-- only: they are the loads that delete movies, while an upsert replaces a movie and its link rows
-- in one transaction.
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
