-- The movies behind one row of genre_yearly.csv: the genre's movies released in the year
-- (parameters: genre id, year). The same joins and year rule as sql/reports/genre_yearly.sql, so
-- their number is the row's `movies`. Most popular first (no popularity last), then by id.
SELECT
  m.id,
  m.title,
  m.release_date,
  m.budget,
  m.revenue,
  m.popularity_micros
FROM movie m
JOIN movie_genre mg ON mg.movie_id = m.id
JOIN genre g ON g.id = mg.genre_id
WHERE mg.genre_id = ? AND m.release_year = ?
ORDER BY CASE WHEN m.popularity_micros IS NULL THEN 1 ELSE 0 END, m.popularity_micros DESC, m.id
