-- marquee schema version 3 for PostgreSQL: what each batch changed (see sqlite_v3.sql). Columns
-- without a default rewrite no table, so this migration is quick at any size.
ALTER TABLE movie ADD COLUMN content_hash bigint;

ALTER TABLE ingest_batch ADD COLUMN movies_new bigint;
ALTER TABLE ingest_batch ADD COLUMN movies_updated bigint;
ALTER TABLE ingest_batch ADD COLUMN movies_unchanged bigint;
ALTER TABLE ingest_batch ADD COLUMN movies_removed bigint;

CREATE TABLE report_change (
  batch_id bigint NOT NULL REFERENCES ingest_batch (id),
  report text NOT NULL,
  rows_added bigint NOT NULL,
  rows_changed bigint NOT NULL,
  rows_removed bigint NOT NULL,
  changed_keys jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, report)
);
