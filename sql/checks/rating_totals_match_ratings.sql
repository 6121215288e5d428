-- rating_total, kept by each batch that writes ratings, adds up to the rating table: as many
-- ratings and the same sum in half stars. One pass over the ratings, no sort, so it runs after
-- every batch that read ratings.csv; the per-movie equality is proven by the store's tests
-- (tests/store/detail_contract_test.cpp), whose recount groups the ratings by movie.
SELECT 'rating_total ' || CAST(t.ratings AS TEXT) || '/' || CAST(t.halves AS TEXT) || ' <> rating '
       || CAST(r.ratings AS TEXT) || '/' || CAST(r.halves AS TEXT) AS failing_key
FROM (SELECT coalesce(SUM(ratings), 0) AS ratings, coalesce(SUM(rating_halves), 0) AS halves
      FROM rating_total) t
CROSS JOIN (SELECT COUNT(*) AS ratings, coalesce(SUM(CAST(rating * 2 AS INTEGER)), 0) AS halves
            FROM rating) r
WHERE t.ratings <> r.ratings OR t.halves <> r.halves
