-- The report aggregates equal their definitions over the model: each row of report_company_year,
-- report_genre_year and report_company_genre_year, which batches keep up to date by difference
-- (src/store/report_aggregates.cpp), equals what sql/aggregates/<table>.sql computes from the
-- movies, and no group is missing or left over. Returns one row per group that differs.
-- Reads the whole model (the cost of computing every report from scratch), so it runs on demand
-- (`marquee check`) and in the tests, not after every batch. A path in double braces stands for
-- the text of that file under sql/.
SELECT 'report_company_year company_id=' || k.company_id || ' year=' || k.year
FROM (
  SELECT company_id, year FROM (
    SELECT * FROM ({{aggregates/report_company_year.sql}}
    ) AS d EXCEPT SELECT * FROM report_company_year
  ) AS missing
  UNION
  SELECT company_id, year FROM (
    SELECT * FROM report_company_year EXCEPT SELECT * FROM ({{aggregates/report_company_year.sql}}
    ) AS d
  ) AS extra
) AS k
UNION ALL
SELECT 'report_genre_year year=' || k.year || ' genre_id=' || k.genre_id
FROM (
  SELECT year, genre_id FROM (
    SELECT * FROM ({{aggregates/report_genre_year.sql}}
    ) AS d EXCEPT SELECT * FROM report_genre_year
  ) AS missing
  UNION
  SELECT year, genre_id FROM (
    SELECT * FROM report_genre_year EXCEPT SELECT * FROM ({{aggregates/report_genre_year.sql}}
    ) AS d
  ) AS extra
) AS k
UNION ALL
SELECT 'report_company_genre_year company_id=' || k.company_id || ' year=' || k.year
       || ' genre_id=' || k.genre_id
FROM (
  SELECT company_id, year, genre_id FROM (
    SELECT * FROM ({{aggregates/report_company_genre_year.sql}}
    ) AS d EXCEPT SELECT * FROM report_company_genre_year
  ) AS missing
  UNION
  SELECT company_id, year, genre_id FROM (
    SELECT * FROM report_company_genre_year
    EXCEPT SELECT * FROM ({{aggregates/report_company_genre_year.sql}}
    ) AS d
  ) AS extra
) AS k
