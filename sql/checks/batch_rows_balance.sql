-- Rows in equal rows out for the batch (the parameter): read = loaded + rejected + superseded.
SELECT 'ingest_batch ' || CAST(id AS TEXT) AS failing_key
FROM ingest_batch
WHERE id = ? AND rows_read <> rows_loaded + rows_rejected + duplicate_superseded
