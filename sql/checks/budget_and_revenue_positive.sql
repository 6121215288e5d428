-- A known budget or revenue is positive, for the movies of the batch (the parameter): 0 means
-- unknown and is stored as NULL (SPEC 3.4).
SELECT 'movie ' || CAST(id AS TEXT) || ' budget ' || CAST(budget AS TEXT) AS failing_key
FROM movie WHERE batch_id = ? AND budget IS NOT NULL AND budget <= 0
UNION ALL
SELECT 'movie ' || CAST(id AS TEXT) || ' revenue ' || CAST(revenue AS TEXT)
FROM movie WHERE batch_id = ? AND revenue IS NOT NULL AND revenue <= 0
