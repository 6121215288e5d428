-- rating_total, kept by each batch that writes ratings, equals a recount of the rating table:
-- every MovieLens movie with ratings has its exact number and sum in half stars, and no other
-- movie has a row. The rating reports read rating_total, so this proves them.
SELECT coalesce(t.movielens_id, r.movielens_id) AS movielens_id
FROM rating_total t
FULL OUTER JOIN (
  SELECT movielens_id, COUNT(*) AS ratings, SUM(CAST(rating * 2 AS INTEGER)) AS rating_halves
  FROM rating
  GROUP BY movielens_id
) r ON r.movielens_id = t.movielens_id
WHERE t.movielens_id IS NULL OR r.movielens_id IS NULL OR t.ratings <> r.ratings
   OR t.rating_halves <> r.rating_halves
ORDER BY 1
