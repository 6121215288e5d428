-- marquee schema version 2 for SQLite: last writer wins by data time, and per-batch data checks.
--
-- Each batch has a data time (when its data was true: the archive's --as-of, else its source's
-- Last-Modified, else when it was staged), as 'YYYY-MM-DDTHH:MM:SS.mmmZ', which orders as text.
-- A movie's version is the one of its batch (movie.batch_id); a record never replaces a version
-- of a newer data time, so archives loaded in any order end as if loaded in data-time order.
-- The names of genres, companies, collections, countries and languages carry the data time of
-- the batch that last named them ('' before version 2: older than any batch).
ALTER TABLE ingest_batch ADD COLUMN data_time TEXT;
ALTER TABLE ingest_batch ADD COLUMN older_than_loaded INTEGER NOT NULL DEFAULT 0;
-- A snapshot batch is the whole truth as of its data time: every record of an older data time is
-- older than what the snapshot kept or removed, so it is never applied once a snapshot is loaded.
ALTER TABLE ingest_batch ADD COLUMN snapshot INTEGER NOT NULL DEFAULT 0;
UPDATE ingest_batch SET data_time = coalesce(staged_at, started_at);
CREATE INDEX ingest_batch_data_time ON ingest_batch (data_time) WHERE status = 'loaded';

ALTER TABLE genre ADD COLUMN data_time TEXT NOT NULL DEFAULT '';
ALTER TABLE production_company ADD COLUMN data_time TEXT NOT NULL DEFAULT '';
ALTER TABLE collection ADD COLUMN data_time TEXT NOT NULL DEFAULT '';
ALTER TABLE production_country ADD COLUMN data_time TEXT NOT NULL DEFAULT '';
ALTER TABLE spoken_language ADD COLUMN data_time TEXT NOT NULL DEFAULT '';

-- The outcome of each data check (sql/checks/) for each loaded batch, with the first failing
-- keys as a JSON array.
CREATE TABLE data_check_result (
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id),
  check_name TEXT NOT NULL,
  failing INTEGER NOT NULL,
  failing_keys TEXT NOT NULL,
  checked_at TEXT NOT NULL,
  PRIMARY KEY (batch_id, check_name)
);
