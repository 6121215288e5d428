-- marquee schema version 6 for PostgreSQL: the report change log (issue #12).
--
-- Which rows of the two large reports each batch changed, so that the hourly run rewrites the
-- rows of company_yearly.csv and company_genre_yearly.csv a batch touched and copies the others
-- from the files it wrote before (src/report/report_patch.cpp). One row per change:
--   company_id, year, NULL      a group of report_company_year changed (added, altered, removed)
--   company_id, year, genre_id  a group of report_company_genre_year changed
--   company_id, NULL, NULL      the company was renamed: every row of it
--   NULL, NULL, genre_id        the genre was renamed: every row of it
-- Written in the batch's transaction (src/store/report_aggregates.cpp), so a rolled-back batch
-- leaves none. report_change_log_since says from when the log is whole: it holds every change of
-- the batches after batch_id; `epoch` names one computation of the aggregates (a first load or a
-- migration draws a new one), so a results folder written from another database, or from this
-- one before it was loaded anew, is never patched from it.
CREATE TABLE report_change_log (
  batch_id bigint NOT NULL,
  company_id bigint,
  year bigint,
  genre_id bigint
);
CREATE INDEX report_change_log_batch ON report_change_log (batch_id);

CREATE TABLE report_change_log_since (
  batch_id bigint NOT NULL,
  epoch text NOT NULL
);

-- How many movies have no year (the reports' log line and run summary): a full scan of movie
-- without it (0.25 s at scale 16, twice an hour). SQLite has had it since version 5.
CREATE INDEX movie_without_year ON movie (id) WHERE release_year IS NULL;
