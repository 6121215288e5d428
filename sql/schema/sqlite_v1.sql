-- marquee schema version 1 for SQLite (SPEC 4). INTEGER PRIMARY KEY makes the TMDB id the rowid.
CREATE TABLE ingest_batch (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  etag TEXT,
  staged_at TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('started', 'loaded', 'failed')),
  rows_read INTEGER NOT NULL DEFAULT 0,
  rows_loaded INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  duplicate_superseded INTEGER NOT NULL DEFAULT 0,
  warnings INTEGER NOT NULL DEFAULT 0,
  message TEXT
);
CREATE INDEX ingest_batch_sha256 ON ingest_batch (sha256, status);

CREATE TABLE collection (
  id INTEGER PRIMARY KEY,
  name TEXT,
  poster_path TEXT,
  backdrop_path TEXT
);
CREATE TABLE genre (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE production_company (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE production_country (iso_3166_1 TEXT PRIMARY KEY, name TEXT);
CREATE TABLE spoken_language (iso_639_1 TEXT PRIMARY KEY, name TEXT);

-- The columns the reports read come first and the long texts last: SQLite reads a row from its
-- start, so a report never walks past an overview (often on overflow pages) to find a budget.
CREATE TABLE movie (
  id INTEGER PRIMARY KEY CHECK (id > 0),
  release_year INTEGER,
  budget INTEGER CHECK (budget > 0),
  revenue INTEGER CHECK (revenue > 0),
  popularity_micros INTEGER,
  popularity REAL,
  batch_id INTEGER NOT NULL REFERENCES ingest_batch (id),
  source_line INTEGER,
  release_date TEXT,
  adult INTEGER,
  video INTEGER,
  runtime REAL,
  vote_average REAL,
  vote_count REAL,
  collection_id INTEGER REFERENCES collection (id),
  imdb_id TEXT,
  title TEXT,
  original_title TEXT,
  original_language TEXT,
  status TEXT,
  poster_path TEXT,
  homepage TEXT,
  tagline TEXT,
  overview TEXT
);
CREATE INDEX movie_release_year ON movie (release_year);
CREATE INDEX movie_batch ON movie (batch_id);

CREATE TABLE movie_genre (
  movie_id INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
  genre_id INTEGER NOT NULL REFERENCES genre (id),
  PRIMARY KEY (movie_id, genre_id)
) WITHOUT ROWID;
CREATE INDEX movie_genre_genre ON movie_genre (genre_id, movie_id);

CREATE TABLE movie_company (
  movie_id INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
  company_id INTEGER NOT NULL REFERENCES production_company (id),
  PRIMARY KEY (movie_id, company_id)
) WITHOUT ROWID;
CREATE INDEX movie_company_company ON movie_company (company_id, movie_id);

CREATE TABLE movie_country (
  movie_id INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
  iso_3166_1 TEXT NOT NULL REFERENCES production_country (iso_3166_1),
  PRIMARY KEY (movie_id, iso_3166_1)
) WITHOUT ROWID;

CREATE TABLE movie_language (
  movie_id INTEGER NOT NULL REFERENCES movie (id) ON DELETE CASCADE,
  iso_639_1 TEXT NOT NULL REFERENCES spoken_language (iso_639_1),
  PRIMARY KEY (movie_id, iso_639_1)
) WITHOUT ROWID;
