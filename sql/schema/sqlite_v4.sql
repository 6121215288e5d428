-- marquee schema version 4 for SQLite: the other files of the archive (SPEC 3.5 and 4).
--
-- Each row carries the batch that wrote it: a later batch replaces it only when its data time is
-- not older, and a snapshot batch removes the rows of a file that it does not hold.
CREATE TABLE link (
  movielens_id INTEGER PRIMARY KEY CHECK (movielens_id > 0),
  imdb_id TEXT,
  tmdb_id INTEGER CHECK (tmdb_id > 0),
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id)
);
CREATE INDEX link_tmdb ON link (tmdb_id);

CREATE TABLE keyword (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE movie_keyword (
  movie_id INTEGER NOT NULL REFERENCES movie (id),
  keyword_id INTEGER NOT NULL REFERENCES keyword (id),
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id),
  PRIMARY KEY (movie_id, keyword_id)
) WITHOUT ROWID;

CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, gender INTEGER, profile_path TEXT);
CREATE TABLE cast_credit (
  credit_id TEXT PRIMARY KEY,
  movie_id INTEGER NOT NULL REFERENCES movie (id),
  person_id INTEGER NOT NULL REFERENCES person (id),
  character TEXT,
  cast_order INTEGER,
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id)
);
CREATE INDEX cast_credit_movie ON cast_credit (movie_id);
CREATE TABLE crew_credit (
  credit_id TEXT PRIMARY KEY,
  movie_id INTEGER NOT NULL REFERENCES movie (id),
  person_id INTEGER NOT NULL REFERENCES person (id),
  department TEXT,
  job TEXT,
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id)
);
CREATE INDEX crew_credit_movie ON crew_credit (movie_id);

-- In the order of ratings.csv (a user's ratings together): a load appends, never seeks. No CHECK
-- constraints: the rules of SPEC 3.5 checked every value, and 26 million checks are a tenth of
-- the load.
CREATE TABLE rating (
  user_id INTEGER NOT NULL,
  movielens_id INTEGER NOT NULL,
  rating REAL NOT NULL,
  rated_at INTEGER NOT NULL,
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id),
  PRIMARY KEY (user_id, movielens_id)
) WITHOUT ROWID;

-- The ratings of each MovieLens movie, kept by every batch that writes ratings, in the same
-- transaction: their number and their sum in half stars (exact). The rating reports read these
-- few thousand rows instead of millions of ratings; sql/checks/rating_totals_match_ratings.sql
-- proves them equal to the rating table.
CREATE TABLE rating_total (
  movielens_id INTEGER PRIMARY KEY,
  ratings INTEGER NOT NULL,
  rating_halves INTEGER NOT NULL
);

-- What each batch did with each file of its archive: the accounting of SPEC 3.4 per file, and
-- the entry's CRC-32 and size, by which a later archive's unchanged entry is skipped.
CREATE TABLE ingest_file (
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id),
  file TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('loaded', 'unchanged')),
  crc32 INTEGER,
  bytes INTEGER NOT NULL,
  rows_read INTEGER NOT NULL,
  rows_loaded INTEGER NOT NULL,
  rows_rejected INTEGER NOT NULL,
  duplicate_superseded INTEGER NOT NULL,
  older_than_loaded INTEGER NOT NULL,
  warnings INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (batch_id, file)
);
CREATE INDEX ingest_file_file ON ingest_file (file, batch_id);
