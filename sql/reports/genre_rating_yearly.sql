-- The MovieLens ratings of each genre's movies, per release year (SPEC 5). Runs unchanged on
-- SQLite and PostgreSQL.
--   A rating belongs to the movie whose id is its link's tmdbId; ratings without such a movie
--   (no link, an empty tmdbId, or no movie of that id) are in no row.
--   rating_total holds each MovieLens movie's number of ratings and their sum in half stars,
--   kept by every batch that writes ratings (sql/checks/rating_totals_match_ratings.sql proves
--   it equal to the rating table); several links may name one movie, whose ratings are then
--   those of all of them.
--   avg_rating: the exact mean of the sum in half stars over the count, written with four
--   decimals by src/report/report_query.hpp (X__halves, X__n).
SELECT
  m.release_year AS year,
  mg.genre_id,
  g.name AS genre_name,
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
JOIN movie_genre mg ON mg.movie_id = m.id
JOIN genre g ON g.id = mg.genre_id
WHERE m.release_year IS NOT NULL
GROUP BY m.release_year, mg.genre_id, g.name
ORDER BY m.release_year, mg.genre_id
