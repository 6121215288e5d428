-- Rows in equal rows out for every loaded batch: read = loaded + rejected + superseded.
SELECT 'ingest_batch ' || CAST(id AS TEXT) AS failing_key
FROM ingest_batch
WHERE status = 'loaded'
  AND rows_read <> rows_loaded + rows_rejected + duplicate_superseded
