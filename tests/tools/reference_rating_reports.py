#!/usr/bin/env python3
"""An independent implementation of SPEC.md 3.1-3.5 and 5 for the two reports over the ratings.

It shares no code with marquee. Usage:

    reference_rating_reports.py DATASET OUT_DIR

DATASET is the archive (.zip, entries matched by base name) or a folder holding the CSVs. Writes
OUT_DIR/genre_rating_yearly.csv, OUT_DIR/company_rating_yearly.csv and OUT_DIR/accounting.json
(per file: rows read, loaded, rejected by reason, superseded; and where the ratings went).

The movie record rules (check, year_of, items) and the report writer come from the sibling
reference_reports.py, so that both references agree on what a movie is; the CSV reader is this
file's own, faster one: ratings.csv has hundreds of thousands of rows and a byte-at-a-time loop
would take minutes. The test beside this file checks that both readers split records alike.
"""
import json
import re
import sys
import zipfile
from collections import Counter
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_reports import check as check_movie, items, write, year_of  # noqa: E402

BOM = b"\xef\xbb\xbf"
ENTRIES = ("movies_metadata.csv", "links.csv", "ratings.csv")
DIGITS = re.compile(r"[0-9]+")
# A rating is a whole number of half stars written `4`, `4.0` or `4.5` (SPEC 3.5); any other
# spelling (`4.50`, `.5`, ` 4`) is bad_number even when its value would be one of them.
RATING = re.compile(r"([0-9])(?:\.([05]))?")
# The store keeps ids and timestamps in signed 64-bit columns, as reference_reports does for
# movie ids; a larger value cannot be stored, so it is no valid integer.
INT64_LIMIT = 2**63


class OpenQuote(Exception):
    pass


def read_records(data: bytes):
    """Yields (line, fields, empty) per SPEC 3.2; empty marks an empty line, which is no record.

    Decoding the whole text first replaces invalid UTF-8 exactly as per-field decoding would:
    every byte that structures the CSV is ASCII, which a UTF-8 decoder never folds into an
    invalid sequence. A physical line with no quote is a whole record (only a quoted field can
    hold an LF), so only lines with a quote take the field-by-field path.
    """
    if data.startswith(BOM):
        data = data[len(BOM):]
    text = data.decode("utf-8", "replace")
    i, n, line = 0, len(text), 1
    while i < n:
        lf = text.find("\n", i)
        end = n if lf < 0 else lf
        if text.find('"', i, end) < 0:
            # A CR right before the LF belongs to the record end; any other CR is a character.
            body_end = end - 1 if lf >= 0 and end > i and text[end - 1] == "\r" else end
            body = text[i:body_end]
            yield line, body.split(","), body == ""
            i, line = end + 1, line + 1
            continue
        start_line = line
        fields, i, line = _scan_record(text, i, line)
        yield start_line, fields, False


_UNQUOTED = re.compile(r"(?:[^,\r\n]|\r(?!\n))*")


def _scan_record(text, i, line):
    """Reads one record holding a quote from text[i:]; returns (fields, next index, next line)."""
    n, fields = len(text), []
    while True:
        field = ""
        if i < n and text[i] == '"':
            opened, k, parts = line, i + 1, []
            while True:
                close = text.find('"', k)
                if close < 0:
                    raise OpenQuote(f"a quote opened at line {opened} is never closed")
                parts.append(text[k:close])
                if text[close + 1:close + 2] == '"':
                    parts.append('"')
                    k = close + 2
                    continue
                break
            field = "".join(parts)
            line += field.count("\n")
            i = close + 1
        # After a closing quote, or in a field that did not open with one, a quote is a character.
        m = _UNQUOTED.match(text, i)
        field += m.group()
        i = m.end()
        fields.append(field)
        if i >= n:
            return fields, i, line
        if text[i] == ",":
            i += 1
            continue
        i += 1 if text[i] == "\n" else 2
        return fields, i, line + 1


def positive_int(text):
    """The value of a positive integer written in plain digits, else None (values are not trimmed)."""
    if not DIGITS.fullmatch(text):
        return None
    v = int(text)
    return v if 0 < v < INT64_LIMIT else None


def rating_halves(text):
    """The rating as a count of half stars (1..10), else None."""
    m = RATING.fullmatch(text)
    if not m:
        return None
    halves = 2 * int(m.group(1)) + (1 if m.group(2) == "5" else 0)
    return halves if 1 <= halves <= 10 else None


class FileAccounting:
    """SPEC 3.4's balance: rows_read = rows_loaded + rows_rejected + duplicate_superseded."""

    def __init__(self):
        self.rows_read = 0
        self.rejected = Counter()
        self.duplicate_superseded = 0
        self.rows_loaded = 0

    def as_json(self):
        return {
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": sum(self.rejected.values()),
            "rejected": dict(sorted(self.rejected.items())),
            "duplicate_superseded": self.duplicate_superseded,
        }


def records_by_name(data, entry, columns, acct):
    """Yields (fields by column name or None when the field count differs from the header's).

    Counts every record in acct.rows_read; columns the file lacks fail the run, as no record of
    such a file could be read.
    """
    records = read_records(data)
    try:
        _, header, _ = next(records)
    except StopIteration:
        return
    except OpenQuote as e:
        raise SystemExit(f"{entry}: {e}")
    missing = [c for c in columns if c not in header]
    if missing:
        raise SystemExit(f"{entry}: no column {', '.join(missing)} in the header {header}")
    try:
        for _, fields, empty in records:
            if empty:
                continue
            acct.rows_read += 1
            yield dict(zip(header, fields)) if len(fields) == len(header) else None
    except OpenQuote as e:
        raise SystemExit(f"{entry}: {e}")


def load_movies(data, acct):
    """{id: movie} of the accepted records, the last accepted record of an id winning (SPEC 3.4)."""
    movies, order = {}, 0
    for rec in records_by_name(data, "movies_metadata.csv", ["id"], acct):
        reason, lits = ("field_count", None) if rec is None else check_movie(rec)
        if reason:
            acct.rejected[reason] += 1
            continue
        mid = int(rec["id"])
        if mid in movies:
            acct.duplicate_superseded += 1
        order += 1
        movies[mid] = {
            "order": order,
            "year": year_of(rec.get("release_date", "")),
            "genres": items(lits["genres"]),
            "companies": items(lits["production_companies"]),
        }
    acct.rows_loaded = len(movies)
    return movies


def load_links(data, acct):
    """{movieId: tmdbId or None}; an empty tmdbId keeps the link without a movie (SPEC 3.5)."""
    links = {}
    for rec in records_by_name(data, "links.csv", ["movieId", "imdbId", "tmdbId"], acct):
        if rec is None:
            acct.rejected["field_count"] += 1
            continue
        movie_id = positive_int(rec["movieId"])
        tmdb = rec["tmdbId"]
        tmdb_id = None if tmdb == "" else positive_int(tmdb)
        if movie_id is None or (tmdb != "" and tmdb_id is None):
            acct.rejected["bad_id"] += 1
            continue
        if movie_id in links:
            acct.duplicate_superseded += 1
        links[movie_id] = tmdb_id
    acct.rows_loaded = len(links)
    return links


def load_ratings(data, acct):
    """{(userId, movieId): half stars}, the last accepted row of a pair winning (SPEC 3.5)."""
    ratings = {}
    for rec in records_by_name(data, "ratings.csv", ["userId", "movieId", "rating", "timestamp"],
                               acct):
        if rec is None:
            acct.rejected["field_count"] += 1
            continue
        user_id, movie_id = positive_int(rec["userId"]), positive_int(rec["movieId"])
        if user_id is None or movie_id is None:
            acct.rejected["bad_id"] += 1
            continue
        halves = rating_halves(rec["rating"])
        ts = rec["timestamp"]
        if halves is None or not DIGITS.fullmatch(ts) or int(ts) >= INT64_LIMIT:
            acct.rejected["bad_number"] += 1
            continue
        key = (user_id, movie_id)
        if key in ratings:
            acct.duplicate_superseded += 1
        ratings[key] = halves
    acct.rows_loaded = len(ratings)
    return ratings


def dataset_entries(path: Path):
    """{base name: bytes} of the entries this reference reads, from a .zip or a folder."""
    found = {}
    if path.is_dir():
        for name in ENTRIES:
            if (path / name).is_file():
                found[name] = (path / name).read_bytes()
        return found
    with zipfile.ZipFile(path) as archive:
        seen = set()
        for info in archive.infolist():
            if info.is_dir():
                continue
            base = info.filename.rsplit("/", 1)[-1]
            if base in seen:
                raise SystemExit(f"{path}: two entries named {base}")
            seen.add(base)
            if base in ENTRIES:
                found[base] = archive.read(info)
    return found


def avg_rating(halves_sum, count):
    """The exact mean of `count` ratings rounded half to even to four decimals."""
    q = round(Fraction(halves_sum * 10000, 2 * count))  # Python rounds a Fraction half to even
    return f"{q // 10000}.{q % 10000:04d}"


def latest_names(movies, key):
    """{id: name}: the name in the last loaded record (file order) mentioning the id (SPEC 4)."""
    names = {}
    for m in sorted(movies.values(), key=lambda m: m["order"]):
        names.update(m[key])
    return names


def build(dataset: Path):
    """Returns (genre rows, company rows, accounting) for the dataset."""
    entries = dataset_entries(dataset)
    if "movies_metadata.csv" not in entries:
        raise SystemExit(f"{dataset}: no movies_metadata.csv")
    accounts = {name: FileAccounting() for name in ENTRIES if name in entries}
    movies = load_movies(entries["movies_metadata.csv"], accounts["movies_metadata.csv"])
    links = load_links(entries["links.csv"], accounts["links.csv"]) if "links.csv" in entries else {}
    ratings = (load_ratings(entries["ratings.csv"], accounts["ratings.csv"])
               if "ratings.csv" in entries else {})

    # Where each loaded rating went: a movie's ratings are those of every link naming it.
    outcome = Counter()
    per_movie = {}  # tmdb id -> [count, sum of half stars]
    for (_, movie_id), halves in ratings.items():
        if movie_id not in links:
            outcome["no_link"] += 1
            continue
        tmdb_id = links[movie_id]
        if tmdb_id is None:
            outcome["empty_tmdb_id"] += 1
            continue
        movie = movies.get(tmdb_id)
        if movie is None:
            outcome["tmdb_id_not_a_movie"] += 1
            continue
        if movie["year"] is None:
            outcome["movie_without_year"] += 1
            continue
        outcome["of_dated_movie"] += 1
        acc = per_movie.setdefault(tmdb_id, [0, 0])
        acc[0] += 1
        acc[1] += halves

    genre_groups, company_groups = {}, {}
    for tmdb_id, (count, total) in per_movie.items():
        movie = movies[tmdb_id]
        for g in movie["genres"]:
            grp = genre_groups.setdefault((movie["year"], g), [0, 0, 0])
            grp[0] += 1
            grp[1] += count
            grp[2] += total
        for c in movie["companies"]:
            grp = company_groups.setdefault((c, movie["year"]), [0, 0, 0])
            grp[0] += 1
            grp[1] += count
            grp[2] += total

    genre_names = latest_names(movies, "genres")
    company_names = latest_names(movies, "companies")
    genre_rows = [[y, g, genre_names[g], n, count, avg_rating(total, count)]
                  for (y, g), (n, count, total) in sorted(genre_groups.items())]
    company_rows = [[c, company_names[c], y, n, count, avg_rating(total, count)]
                    for (c, y), (n, count, total) in sorted(company_groups.items())]

    accounting = {name: a.as_json() for name, a in accounts.items()}
    accounting["movies_metadata.csv"]["movies_without_year"] = sum(
        1 for m in movies.values() if m["year"] is None)
    accounting["rating_reports"] = {
        "ratings": dict(sorted(outcome.items())),
        "rated_movies": len(per_movie),
        "genre_rating_yearly_rows": len(genre_rows),
        "company_rating_yearly_rows": len(company_rows),
    }
    return genre_rows, company_rows, accounting


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: reference_rating_reports.py DATASET OUT_DIR")
    dataset, out = Path(sys.argv[1]), Path(sys.argv[2])
    genre_rows, company_rows, accounting = build(dataset)
    out.mkdir(parents=True, exist_ok=True)
    write(out / "genre_rating_yearly.csv",
          ["year", "genre_id", "genre_name", "rated_movies", "ratings", "avg_rating"], genre_rows)
    write(out / "company_rating_yearly.csv",
          ["company_id", "company_name", "year", "rated_movies", "ratings", "avg_rating"],
          company_rows)
    (out / "accounting.json").write_text(json.dumps(accounting, indent=2) + "\n")


if __name__ == "__main__":
    main()
