-- marquee schema version 5 for PostgreSQL: the report aggregates (issue #12).
--
-- One row per group of SPEC 5, keyed by ids only (names are joined when a report is read): the
-- group's counts and exact sums, kept by every batch in its own transaction (the old version of
-- each movie it replaces or removes is subtracted, the new one added, an emptied group removed;
-- src/store/report_aggregates.cpp). sql/aggregates/<table>.sql defines each table over the
-- model; sql/checks/report_aggregates_match_model proves them equal. A sum is kept split as
-- X_e9 = SUM(x / 10^9) and X_e0 = SUM(x % 10^9), exact at any size in 64-bit columns
-- (src/report/report_query.hpp joins the parts); sums of a group with no value of X are 0.
-- The migration fills them from the model (src/store/batch_ledger.cpp). Pages are kept 80% full,
-- so that a batch's update of a group finds room for the new row version on the same page (a
-- HOT update, no index entry written).
CREATE TABLE report_company_year (
  company_id bigint NOT NULL,
  year bigint NOT NULL,
  movies bigint NOT NULL,
  budget_movies bigint NOT NULL,
  budget_e9 bigint NOT NULL,
  budget_e0 bigint NOT NULL,
  revenue_movies bigint NOT NULL,
  revenue_e9 bigint NOT NULL,
  revenue_e0 bigint NOT NULL,
  profit_movies bigint NOT NULL,
  profit_e9 bigint NOT NULL,
  profit_e0 bigint NOT NULL,
  popularity_movies bigint NOT NULL,
  popularity_e9 bigint NOT NULL,
  popularity_e0 bigint NOT NULL,
  PRIMARY KEY (company_id, year)
) WITH (fillfactor = 80);

CREATE TABLE report_genre_year (
  year bigint NOT NULL,
  genre_id bigint NOT NULL,
  movies bigint NOT NULL,
  budget_movies bigint NOT NULL,
  budget_e9 bigint NOT NULL,
  budget_e0 bigint NOT NULL,
  revenue_movies bigint NOT NULL,
  revenue_e9 bigint NOT NULL,
  revenue_e0 bigint NOT NULL,
  profit_movies bigint NOT NULL,
  profit_e9 bigint NOT NULL,
  profit_e0 bigint NOT NULL,
  popularity_movies bigint NOT NULL,
  popularity_e9 bigint NOT NULL,
  popularity_e0 bigint NOT NULL,
  PRIMARY KEY (year, genre_id)
) WITH (fillfactor = 80);

CREATE TABLE report_company_genre_year (
  company_id bigint NOT NULL,
  year bigint NOT NULL,
  genre_id bigint NOT NULL,
  movies bigint NOT NULL,
  PRIMARY KEY (company_id, year, genre_id)
) WITH (fillfactor = 80);
