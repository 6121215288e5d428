-- Question 4: releases of each production company per year and genre (SPEC 5). A movie with
-- several genres counts once in each of them. Runs unchanged on SQLite and PostgreSQL. Read from
-- report_company_genre_year, kept by every batch (sql/aggregates/report_company_genre_year.sql
-- defines it over the model); names are joined here, so a renamed company or genre needs no
-- change of the counts.
SELECT
  a.company_id,
  pc.name AS company_name,
  a.year,
  a.genre_id,
  g.name AS genre_name,
  a.movies AS releases
FROM report_company_genre_year a
JOIN production_company pc ON pc.id = a.company_id
JOIN genre g ON g.id = a.genre_id
ORDER BY a.company_id, a.year, a.genre_id
