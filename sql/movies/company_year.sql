-- The movies behind one row of company_yearly.csv: the company's movies released in the year
-- (parameters: company id, year). The same joins and year rule as sql/reports/company_yearly.sql,
-- so their number is the row's `movies`. Most popular first (no popularity last), then by id.
SELECT
  m.id,
  m.title,
  m.release_date,
  m.budget,
  m.revenue,
  m.popularity_micros
FROM movie m
JOIN movie_company mc ON mc.movie_id = m.id
JOIN production_company pc ON pc.id = mc.company_id
WHERE mc.company_id = ? AND m.release_year = ?
ORDER BY CASE WHEN m.popularity_micros IS NULL THEN 1 ELSE 0 END, m.popularity_micros DESC, m.id
