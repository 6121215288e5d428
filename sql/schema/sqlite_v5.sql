-- marquee schema version 5 for SQLite: the report aggregates (issue #12).
--
-- One row per group of SPEC 5, keyed by ids only (names are joined when a report is read): the
-- group's counts and exact sums, kept by every batch in its own transaction (the old version of
-- each movie it replaces or removes is subtracted, the new one added, an emptied group removed;
-- src/store/report_aggregates.cpp). sql/aggregates/<table>.sql defines each table over the
-- model; sql/checks/report_aggregates_match_model proves them equal. A sum is kept split as
-- X_e9 = SUM(x / 10^9) and X_e0 = SUM(x % 10^9), exact at any size in 64-bit columns
-- (src/report/report_query.hpp joins the parts); sums of a group with no value of X are 0.
-- The migration fills them from the model (src/store/batch_ledger.cpp).
CREATE TABLE report_company_year (
  company_id INTEGER NOT NULL,
  year INTEGER NOT NULL,
  movies INTEGER NOT NULL,
  budget_movies INTEGER NOT NULL,
  budget_e9 INTEGER NOT NULL,
  budget_e0 INTEGER NOT NULL,
  revenue_movies INTEGER NOT NULL,
  revenue_e9 INTEGER NOT NULL,
  revenue_e0 INTEGER NOT NULL,
  profit_movies INTEGER NOT NULL,
  profit_e9 INTEGER NOT NULL,
  profit_e0 INTEGER NOT NULL,
  popularity_movies INTEGER NOT NULL,
  popularity_e9 INTEGER NOT NULL,
  popularity_e0 INTEGER NOT NULL,
  PRIMARY KEY (company_id, year)
) WITHOUT ROWID;

CREATE TABLE report_genre_year (
  year INTEGER NOT NULL,
  genre_id INTEGER NOT NULL,
  movies INTEGER NOT NULL,
  budget_movies INTEGER NOT NULL,
  budget_e9 INTEGER NOT NULL,
  budget_e0 INTEGER NOT NULL,
  revenue_movies INTEGER NOT NULL,
  revenue_e9 INTEGER NOT NULL,
  revenue_e0 INTEGER NOT NULL,
  profit_movies INTEGER NOT NULL,
  profit_e9 INTEGER NOT NULL,
  profit_e0 INTEGER NOT NULL,
  popularity_movies INTEGER NOT NULL,
  popularity_e9 INTEGER NOT NULL,
  popularity_e0 INTEGER NOT NULL,
  PRIMARY KEY (year, genre_id)
) WITHOUT ROWID;

CREATE TABLE report_company_genre_year (
  company_id INTEGER NOT NULL,
  year INTEGER NOT NULL,
  genre_id INTEGER NOT NULL,
  movies INTEGER NOT NULL,
  PRIMARY KEY (company_id, year, genre_id)
) WITHOUT ROWID;

-- The reports no longer read movies by year; scanning this index (and reading each row at
-- random) is what the planner chose for the aggregates' definitions, several times slower than
-- scanning the table. The one question it answered, how many movies have no year, a partial
-- index answers.
DROP INDEX IF EXISTS movie_release_year;
CREATE INDEX movie_without_year ON movie (id) WHERE release_year IS NULL;
