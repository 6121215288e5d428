-- marquee schema version 3 for SQLite: what each batch changed.
--
-- movie.content_hash is the digest of the record a movie's version came from (every column, the
-- collection and the links with their names; see dataset/content_hash.hpp): a batch compares it
-- with the loaded version's to tell an updated movie from an unchanged one. NULL for versions
-- written before version 3, which the next batch that writes them counts as updated.
ALTER TABLE movie ADD COLUMN content_hash INTEGER;

-- The movies a loaded batch added, changed, found unchanged and removed (a snapshot's absent
-- movies); NULL for batches loaded before version 3.
ALTER TABLE ingest_batch ADD COLUMN movies_new INTEGER;
ALTER TABLE ingest_batch ADD COLUMN movies_updated INTEGER;
ALTER TABLE ingest_batch ADD COLUMN movies_unchanged INTEGER;
ALTER TABLE ingest_batch ADD COLUMN movies_removed INTEGER;

-- How the report files written after a batch differ from the ones they replaced: rows added,
-- rows whose values changed, rows removed, and the keys of the first changed rows (a JSON array).
CREATE TABLE report_change (
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id),
  report TEXT NOT NULL,
  rows_added INTEGER NOT NULL,
  rows_changed INTEGER NOT NULL,
  rows_removed INTEGER NOT NULL,
  changed_keys TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (batch_id, report)
);
