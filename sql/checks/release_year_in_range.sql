-- release_year within [1870, current year + 10]: cinema begins in the 1870s, and TMDB lists
-- announced films a few years ahead. The parameter is the current year + 10.
SELECT 'movie ' || CAST(id AS TEXT) || ' release_year ' || CAST(release_year AS TEXT) AS failing_key
FROM movie
WHERE release_year < 1870 OR release_year > ?
