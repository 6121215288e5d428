#!/usr/bin/env bash
# rating_reports_reference_test.sh BUILD_DIR SOURCE_DIR
#
# marquee's two reports over the ratings (SPEC 5) against tests/tools/reference_rating_reports.py,
# byte for byte, on a generated archive into which this script injects what the generator never
# writes: rejected rating and link rows, ratings repeated later with another rating, ratings of
# MovieLens ids without a link or with an empty or rejected one, links repeated later. Runs on
# SQLite, and on PostgreSQL too when MARQUEE_TEST_PG names a server (scripts/pg.sh starts one).
# The four movie reports are held against tests/tools/reference_reports.py as well, so that a
# mismatch there points at the archive surgery rather than at the rating reports.
# MARQUEE_KEEP_TEST_DIRS=1 keeps the temporary folder. Exits 1 on any mismatch.
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 1
fi
build="$(cd "$1" && pwd)" || exit 1
tools="$(cd "$2" && pwd)/tests/tools" || exit 1
marquee="$build/marquee"
[ -x "$marquee" ] || { echo "no marquee binary at $marquee: build it first" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/rating-reports.XXXXXX")"
pg_db=""
cleanup() {
  if [ -n "$pg_db" ]; then
    PGOPTIONS='-c client_min_messages=warning' \
      psql -q "$MARQUEE_TEST_PG" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1
  fi
  if [ -n "${MARQUEE_KEEP_TEST_DIRS:-}" ]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
die() {
  echo "FAIL: $*" >&2
  exit 1
}

echo "== generate"
# About 2,300 movies and 104,000 ratings: every report has hundreds of rows, and the reference
# and both engines take seconds.
"$marquee" generate --scale 0.05 --seed 7 --ratings-scale 0.004 --out "$tmp/generated.zip" \
  >"$tmp/generate.log" 2>&1 || { cat "$tmp/generate.log" >&2; die "marquee generate failed"; }

echo "== archive surgery"
archive="$tmp/the-movies-dataset.zip"
python3 - "$tmp/generated.zip" "$archive" "$tmp/injected.json" <<'PY' || die "archive surgery failed"
"""Rewrites links.csv and ratings.csv of the generated archive; writes what it injected.

The injected rows stay under 1% of each file's rows, so that the batch passes the reject limit.
"""
import json
import random
import sys
import zipfile
from collections import Counter

src, dst, injected_path = sys.argv[1:4]
rng = random.Random(7)
with zipfile.ZipFile(src) as z:
    entries = [(info.filename, z.read(info)) for info in z.infolist()]
files = {name: data for name, data in entries}

link_lines = files["links.csv"].decode().split("\r\n")
link_header, link_rows = link_lines[0], [r for r in link_lines[1:] if r]
tmdb_of = {int(r.split(",")[0]): r.split(",")[2] for r in link_rows}
rating_lines = files["ratings.csv"].decode().split("\r\n")
rating_header, rating_rows = rating_lines[0], [r for r in rating_lines[1:] if r]
parsed = [tuple(r.split(",")) for r in rating_rows]
max_user = max(int(p[0]) for p in parsed)
users = list(range(1, max_user + 1))
free_id = max(tmdb_of) + 1000  # MovieLens ids above every link's

# The most rated linked MovieLens ids: changes to their links show in many report rows.
counts = Counter(int(p[1]) for p in parsed)
popular = [m for m, _ in counts.most_common() if tmdb_of.get(m)][:4]
m_twin, m_emptied, m_moved, m_target = popular

# links.csv: a new id with an empty tmdbId, a second link to m_twin's movie, m_emptied
# repeated later with an empty tmdbId, m_moved repeated later naming m_target's movie, and two
# rejected rows (the second's id then has ratings but no link).
empty_id, twin_id, rejected_id = free_id, free_id + 1, free_id + 2
new_links = [f"{empty_id},9000001,", f"{twin_id},9000002,{tmdb_of[m_twin]}",
             f"{m_emptied},9000003,", f"{m_moved},9000004,{tmdb_of[m_target]}",
             "0,9000005,5", f"{rejected_id},9000006,12x"]
links_text = "\r\n".join([link_header, *link_rows, *new_links]) + "\r\n"

# ratings.csv
picked = rng.sample(range(len(parsed)), 350)
other = {"0.5": "5", "1.0": "4.5", "1.5": "4", "2.0": "3.5", "2.5": "3",
         "3.0": "2.5", "3.5": "2", "4.0": "1.5", "4.5": "1", "5.0": "0.5"}
# Each repeat carries another rating (in another spelling: `4` for `4.0`), so a loader keeping
# the first row instead of the last gets other averages.
repeats = [f"{parsed[i][0]},{parsed[i][1]},{other[parsed[i][2]]},{int(parsed[i][3]) + 1}"
           for i in picked[:300]]
# A rejected repeat must not replace the row before it.
rejected_repeats = [f"{parsed[i][0]},{parsed[i][1]},4.25,{parsed[i][3]}" for i in picked[300:]]
bad = {
    "field_count": ["1,2,3.0", "1,2,3.0,4,5"],
    "bad_id": ["0,1,4.0,1", "1,0,4.0,1", "-3,1,4.0,1", "x,1,4.0,1", "1,,4.0,1", "1,1.5,4.0,1"],
    "bad_number": ["1,1,4.25,1", "1,1,6,1", "1,1,0,1", "1,1,4.50,1", "1,1,,1", "1,1,4.0,-1",
                   "1,1,4.0,1.5", "1,1,4.0,"],
}
def ratings_of(movie_id, who, k):
    return [f"{u},{movie_id},{rng.choice(list(other))},1500000000" for u in rng.sample(who, k)]
twin_raters = [int(p[0]) for p in parsed if int(p[1]) == m_twin]
new_ratings = (ratings_of(free_id + 10, users, 30) + ratings_of(free_id + 11, users, 30)  # no link
               + ratings_of(empty_id, users, 40)
               + ratings_of(twin_id, twin_raters, min(40, len(twin_raters)))  # users rate both
               + ratings_of(rejected_id, users, 10))
# A quoted row is still an ordinary one.
new_ratings.append(f'"{users[0]}","{free_id + 12}","4.5","1500000000"')

rows = list(rating_rows)
for line in [l for ls in bad.values() for l in ls] + [""]:  # "" is an empty line: no record
    rows.insert(rng.randrange(1, len(rows)), line)
tail = repeats + rejected_repeats + new_ratings
# LF-only line ends for the tail: both ends are records ends (SPEC 3.2).
ratings_text = "\r\n".join([rating_header, *rows]) + "\r\n" + "\n".join(tail) + "\n"

with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in entries:
        if name == "links.csv":
            data = links_text.encode()
        elif name == "ratings.csv":
            data = ratings_text.encode()
        z.writestr(name, data)

rating_read = len(rating_rows) + sum(len(v) for v in bad.values()) + len(tail)
rating_rejected = {k: len(v) for k, v in bad.items()}
rating_rejected["bad_number"] += len(rejected_repeats)
expected = {
    "links.csv": {"rows_read": len(link_rows) + 6, "rows_loaded": len(link_rows) + 2,
                  "rows_rejected": 2, "rejected": {"bad_id": 2}, "duplicate_superseded": 2},
    "ratings.csv": {"rows_read": rating_read,
                    "rows_loaded": len(rating_rows) + len(new_ratings),
                    "rows_rejected": sum(rating_rejected.values()),
                    "rejected": dict(sorted(rating_rejected.items())),
                    "duplicate_superseded": len(repeats)},
}
with open(injected_path, "w") as f:
    json.dump(expected, f, indent=2)
for name, acct in expected.items():
    share = acct["rows_rejected"] / acct["rows_read"]
    print(f"{name}: {acct['rows_read']} rows, {acct['rows_rejected']} rejected ({share:.3%}), "
          f"{acct['duplicate_superseded']} superseded")
PY
python3 -m zipfile -t "$archive" >/dev/null || die "the rewritten archive $archive is no valid zip"

echo "== references"
python3 "$tools/reference_rating_reports.py" "$archive" "$tmp/reference" ||
  die "reference_rating_reports.py failed"
unzip -p "$archive" movies_metadata.csv >"$tmp/movies_metadata.csv" ||
  die "cannot extract movies_metadata.csv"
python3 "$tools/reference_reports.py" "$tmp/movies_metadata.csv" "$tmp/reference_movies" ||
  die "reference_reports.py failed"

# The reference must count exactly what the surgery injected, or one of the two is wrong.
if ! python3 - "$tmp/injected.json" "$tmp/reference/accounting.json" <<'PY'
import json, sys
injected, reference = (json.load(open(p)) for p in sys.argv[1:3])
bad = 0
for name, want in injected.items():
    if reference.get(name) != want:
        print(f"{name}: injected {want}\n  reference counted {reference.get(name)}", file=sys.stderr)
        bad += 1
print("rating reports reference:", json.dumps(reference["rating_reports"]))
sys.exit(1 if bad else 0)
PY
then
  fail "the reference does not count what the surgery injected"
fi

rating_reports=(genre_rating_yearly company_rating_yearly)
movie_reports=(company_yearly company_genre_yearly genre_yearly most_popular_genre_by_year)

# compare_report ENGINE GOT WANT: byte for byte; a unified diff's head on a mismatch.
compare_report() {
  local engine="$1" got="$2" want="$3" name
  name="$(basename "$got")"
  if [ ! -f "$got" ]; then
    fail "$engine: marquee wrote no $name"
    return
  fi
  if cmp -s "$got" "$want"; then
    echo "ok   $engine: $name ($(($(wc -l <"$want") - 1)) rows) matches the reference"
  else
    local want_rows=$(($(wc -l <"$want") - 1)) got_rows=$(($(wc -l <"$got") - 1))
    fail "$engine: $name differs from the reference ($want_rows rows expected, $got_rows written)"
    diff -u --label "reference/$name" --label "marquee/$name" "$want" "$got" | head -40 >&2
  fi
}

# compare_accounting ENGINE SUMMARY: rows read, loaded, rejected by reason and superseded per file.
compare_accounting() {
  python3 - "$1" "$2" "$tmp/reference/accounting.json" <<'PY'
import json, sys
engine, summary_path, reference_path = sys.argv[1:4]
files = json.load(open(summary_path)).get("files", {})
reference = json.load(open(reference_path))
bad = 0
for name in ("movies_metadata.csv", "links.csv", "ratings.csv"):
    want = reference[name]
    got = files.get(name)
    if got is None:
        print(f"FAIL: {engine}: run_summary.json has no accounting for {name}", file=sys.stderr)
        bad += 1
        continue
    rejected = {k: v for k, v in got["rows_rejected"].items() if k != "total" and v}
    have = {"rows_read": got["rows_read"], "rows_loaded": got["rows_loaded"],
            "rows_rejected": got["rows_rejected"]["total"], "rejected": rejected,
            "duplicate_superseded": got["duplicate_superseded"]}
    want = {k: want[k] for k in have}
    if have != want:
        print(f"FAIL: {engine}: {name} accounting {have}\n  reference {want}", file=sys.stderr)
        bad += 1
    else:
        print(f"ok   {engine}: {name} accounting matches the reference")
sys.exit(bad)
PY
  local mismatches=$?
  failures=$((failures + mismatches))
}

# check_engine ENGINE [marquee run flags...]
check_engine() {
  local engine="$1" work="$tmp/work-$1"
  shift
  echo "== marquee run on $engine"
  local log="$tmp/run-$engine.log"
  if ! "$marquee" run "$archive" --workdir "$work" "$@" >"$log" 2>&1; then
    grep '^error' "$log" >&2 || tail -5 "$log" >&2
    fail "$engine: marquee run exited non-zero (error above)"
    # A failed run keeps its summary in state/runs/ only: its counts still tell whether the
    # load went right.
    # Run ids start with their time, so the last name in glob order is the newest run.
    local history="" f
    for f in "$work"/state/runs/*.json; do [ -f "$f" ] && history="$f"; done
    [ -n "$history" ] && compare_accounting "$engine" "$history"
    return
  fi
  for r in "${movie_reports[@]}"; do
    compare_report "$engine" "$work/movie_results/$r.csv" "$tmp/reference_movies/$r.csv"
  done
  for r in "${rating_reports[@]}"; do
    compare_report "$engine" "$work/movie_results/$r.csv" "$tmp/reference/$r.csv"
  done
  compare_accounting "$engine" "$work/movie_results/run_summary.json"
}

check_engine sqlite

if [ -n "${MARQUEE_TEST_PG:-}" ]; then
  pg_db="marquee_rating_ref_$$_$RANDOM"
  if psql -q "$MARQUEE_TEST_PG" -c "CREATE DATABASE $pg_db" >"$tmp/createdb.log" 2>&1; then
    check_engine postgres --db "${MARQUEE_TEST_PG%/*}/$pg_db"
  else
    cat "$tmp/createdb.log" >&2
    pg_db=""
    fail "cannot create a database on $MARQUEE_TEST_PG"
  fi
else
  echo "== PostgreSQL skipped: MARQUEE_TEST_PG is not set (scripts/pg.sh starts a server)"
fi

if [ "$failures" -ne 0 ]; then
  echo "rating reports reference test: $failures check(s) failed" >&2
  exit 1
fi
echo "rating reports reference test: passed"
