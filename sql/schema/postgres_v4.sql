-- marquee schema version 4 for PostgreSQL: the other files of the archive (see sqlite_v4.sql).
CREATE TABLE link (
  movielens_id bigint PRIMARY KEY CHECK (movielens_id > 0),
  imdb_id text,
  tmdb_id bigint CHECK (tmdb_id > 0),
  batch_id bigint NOT NULL REFERENCES ingest_batch (id)
);
CREATE INDEX link_tmdb ON link (tmdb_id);

CREATE TABLE keyword (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE movie_keyword (
  movie_id bigint NOT NULL,
  keyword_id bigint NOT NULL REFERENCES keyword (id),
  batch_id bigint NOT NULL,
  PRIMARY KEY (movie_id, keyword_id)
);

CREATE TABLE person (id bigint PRIMARY KEY, name text, gender bigint, profile_path text);
CREATE TABLE cast_credit (
  credit_id text PRIMARY KEY,
  movie_id bigint NOT NULL,
  person_id bigint NOT NULL REFERENCES person (id),
  character text,
  cast_order bigint,
  batch_id bigint NOT NULL
);
CREATE INDEX cast_credit_movie ON cast_credit (movie_id);
CREATE TABLE crew_credit (
  credit_id text PRIMARY KEY,
  movie_id bigint NOT NULL,
  person_id bigint NOT NULL REFERENCES person (id),
  department text,
  job text,
  batch_id bigint NOT NULL
);
CREATE INDEX crew_credit_movie ON crew_credit (movie_id);

-- No foreign key on batch_id: checking 26 million of them would double a first load, and the
-- batch that writes a rating is always the open one.
CREATE TABLE rating (
  user_id bigint NOT NULL CHECK (user_id > 0),
  movielens_id bigint NOT NULL CHECK (movielens_id > 0),
  rating real NOT NULL CHECK (rating BETWEEN 0.5 AND 5.0),
  rated_at bigint NOT NULL,
  batch_id bigint NOT NULL,
  CONSTRAINT rating_pkey PRIMARY KEY (user_id, movielens_id)
);

CREATE TABLE rating_total (
  movielens_id bigint PRIMARY KEY,
  ratings bigint NOT NULL,
  rating_halves bigint NOT NULL
);

CREATE TABLE ingest_file (
  batch_id bigint NOT NULL REFERENCES ingest_batch (id),
  file text NOT NULL,
  status text NOT NULL CHECK (status IN ('loaded', 'unchanged')),
  crc32 bigint,
  bytes bigint NOT NULL,
  rows_read bigint NOT NULL,
  rows_loaded bigint NOT NULL,
  rows_rejected bigint NOT NULL,
  duplicate_superseded bigint NOT NULL,
  older_than_loaded bigint NOT NULL,
  warnings bigint NOT NULL,
  seq integer NOT NULL,
  PRIMARY KEY (batch_id, file)
);
CREATE INDEX ingest_file_file ON ingest_file (file, batch_id);
