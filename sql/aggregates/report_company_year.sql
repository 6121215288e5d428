-- The definition of report_company_year over the model: per production company and release
-- year (SPEC 5; movies without a year are in no group), the counts and exact sums behind
-- company_yearly.csv. Sums are split as SUM(x / 10^9), SUM(x % 10^9) (0 when the group has no
-- value of x), so that 64-bit SQL keeps them exact at any size.
-- Batches keep the table up to date by difference (src/store/report_aggregates.cpp); this query
-- fills it on a first load and a migration, and sql/checks/report_aggregates_match_model proves
-- the kept table equal to it.
-- CROSS JOIN makes SQLite read movie in key order and find each movie's links by their key
-- (PostgreSQL plans it as any join): driven by a link table's index instead, it read the movie
-- rows at random, 3x slower. In key order, so that PostgreSQL's heap holds the groups in the
-- order the reports read them (SQLite's GROUP BY gives that order with no sort of its own).
SELECT
  mc.company_id,
  m.release_year AS year,
  COUNT(*) AS movies,
  COUNT(m.budget) AS budget_movies,
  COALESCE(SUM(m.budget / 1000000000), 0) AS budget_e9,
  COALESCE(SUM(m.budget % 1000000000), 0) AS budget_e0,
  COUNT(m.revenue) AS revenue_movies,
  COALESCE(SUM(m.revenue / 1000000000), 0) AS revenue_e9,
  COALESCE(SUM(m.revenue % 1000000000), 0) AS revenue_e0,
  COUNT(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL THEN 1 END) AS profit_movies,
  COALESCE(SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
                    THEN m.revenue / 1000000000 - m.budget / 1000000000 END), 0) AS profit_e9,
  COALESCE(SUM(CASE WHEN m.budget IS NOT NULL AND m.revenue IS NOT NULL
                    THEN m.revenue % 1000000000 - m.budget % 1000000000 END), 0) AS profit_e0,
  COUNT(m.popularity_micros) AS popularity_movies,
  COALESCE(SUM(m.popularity_micros / 1000000000), 0) AS popularity_e9,
  COALESCE(SUM(m.popularity_micros % 1000000000), 0) AS popularity_e0
FROM movie m
CROSS JOIN movie_company mc
WHERE mc.movie_id = m.id AND m.release_year IS NOT NULL
GROUP BY mc.company_id, m.release_year
ORDER BY mc.company_id, m.release_year
