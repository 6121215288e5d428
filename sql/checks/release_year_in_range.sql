-- release_year within [1870, current year + 10] for the movies of the batch: cinema begins in
-- the 1870s, and TMDB lists announced films a few years ahead. Parameters: the batch, the
-- current year + 10.
SELECT 'movie ' || CAST(id AS TEXT) || ' release_year ' || CAST(release_year AS TEXT) AS failing_key
FROM movie
WHERE batch_id = ? AND (release_year < 1870 OR release_year > ?)
