-- marquee schema version 2 for PostgreSQL: last writer wins by data time, and per-batch data
-- checks (see sqlite_v2.sql for the rules). Adding a column with a constant default rewrites no
-- table, so this migration is quick at any size.
ALTER TABLE ingest_batch ADD COLUMN data_time timestamptz;
ALTER TABLE ingest_batch ADD COLUMN older_than_loaded bigint NOT NULL DEFAULT 0;
ALTER TABLE ingest_batch ADD COLUMN snapshot boolean NOT NULL DEFAULT false;
UPDATE ingest_batch SET data_time = coalesce(staged_at, started_at);
CREATE INDEX ingest_batch_data_time ON ingest_batch (data_time) WHERE status = 'loaded';

ALTER TABLE genre ADD COLUMN data_time timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE production_company ADD COLUMN data_time timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE collection ADD COLUMN data_time timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE production_country ADD COLUMN data_time timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE spoken_language ADD COLUMN data_time timestamptz NOT NULL DEFAULT '-infinity';

-- The data checks and the run summary read the movies of one batch: with this index their cost
-- follows the batch, not the table (an hourly 1% batch no longer scans every movie).
CREATE INDEX movie_batch ON movie (batch_id);

-- The outcome of each data check (sql/checks/) for each loaded batch, with the first failing keys.
-- A small table on the coordinator when distributed, like ingest_batch.
CREATE TABLE data_check_result (
  batch_id bigint NOT NULL REFERENCES ingest_batch (id),
  check_name text NOT NULL,
  failing bigint NOT NULL,
  failing_keys jsonb NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, check_name)
);
