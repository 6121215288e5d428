#!/usr/bin/env bash
# bench/ratings.sh [RATINGS_SCALE]  loading ratings.csv (issue #13) against what a user would run
# instead, on one generated archive (scale 1, --ratings-scale RATINGS_SCALE, default 1: 26 million
# ratings), in one run, alternating, MARQUEE_BENCH_ROUNDS rounds (default 1: a round is minutes):
#   inflate            unzip -p of the ratings.csv entry: the floor nothing that reads it can beat
#   marquee_sqlite     build/marquee run ARCHIVE: its ratings.csv step (from run_summary.json), and
#                      the whole run, stage to reports
#   marquee_postgres   the same with --db PG (a fresh database each round)
#   sqlite_import      sqlite3 .import --csv of the extracted ratings.csv into a 4-column table
#   pg_copy_unlogged   psql \copy of it into an UNLOGGED 4-column table
#   pg_copy_logged     psql \copy of it into a logged 4-column table
#   unchanged_sqlite   a second archive with the same ratings.csv entry (another movies file):
#                      what its ratings.csv step costs (skipped by CRC-32 and size)
# Prints each median (wall seconds, peak RSS) and the ratios marquee / baseline. The whole-archive
# yardstick is the sum of the sqlite3 .import times of the five CSVs.
# The machines are noisy: compare the ratios of one run, not absolute times across runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ratings_scale="${1:-1}"
rounds="${MARQUEE_BENCH_ROUNDS:-1}"
bin="$root/build/marquee"
[ -x "$bin" ] || { echo "build first: ./test.sh or ./run.sh --help" >&2; exit 1; }
work=$(mktemp -d /tmp/marquee-ratings.XXXXXX)
source "$root/scripts/pg.sh"
trap 'marquee_pg_stop "$work"; rm -rf "$work"' EXIT

"$bin" generate --scale 1 --ratings-scale "$ratings_scale" --seed 1 --out "$work/data.zip" 2>/dev/null
mkdir -p "$work/csv"
unzip -q "$work/data.zip" -d "$work/csv"
# The same entries beside a movies file with one more (blank) line: another archive whose
# ratings.csv has the CRC-32 and size of the first one's.
(cd "$work/csv" && printf '\n' >>movies_metadata.csv &&
  zip -q -X -0 "$work/again.zip" movies_metadata.csv links.csv keywords.csv credits.csv ratings.csv)

marquee_pg_start "$work" >/dev/null
pg_db() { # pg_db NAME: a fresh database, its URL on stdout
  PGOPTIONS='-c client_min_messages=warning' psql -q "$MARQUEE_TEST_PG" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "${MARQUEE_TEST_PG%/*}/$1"
}
base_url=$(pg_db baseline)

# measure NAME COMMAND...: appends "NAME wall rss_kb" to $work/times; false when it failed
measure() {
  local name="$1"; shift
  if ! /usr/bin/time -f "%e %M" -o "$work/t" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    echo "$name failed: $(grep -m1 -E 'Error|error' "$work/$name.err" | cut -c1-200)" >&2
    return 1
  fi
  read -r wall rss <"$work/t"
  echo "$name $wall $rss" >>"$work/times"
}
# step NAME WORKDIR FILE: appends the seconds marquee's run summary gives FILE's load step
step() {
  local seconds
  seconds=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["files"][sys.argv[2]]["seconds"])' \
    "$2/movie_results/run_summary.json" "$3")
  echo "$1 $seconds 0" >>"$work/times"
}

for round in $(seq 1 "$rounds"); do
  rm -rf "$work/w1" "$work/import.db" "$work/all.db"
  measure inflate sh -c "unzip -p '$work/data.zip' ratings.csv >/dev/null"
  measure marquee_sqlite "$bin" run "$work/data.zip" --workdir "$work/w1"
  step marquee_sqlite_ratings "$work/w1" ratings.csv
  measure unchanged_sqlite "$bin" run "$work/again.zip" --workdir "$work/w1"
  step unchanged_sqlite_ratings "$work/w1" ratings.csv
  measure sqlite_import sqlite3 "$work/import.db" \
    "CREATE TABLE ratings (userId INTEGER, movieId INTEGER, rating REAL, timestamp INTEGER)" \
    ".import --csv --skip 1 $work/csv/ratings.csv ratings"
  # The whole-archive yardstick: each of the five CSVs imported into a table of its own.
  all=0
  for f in movies_metadata links keywords credits ratings; do
    /usr/bin/time -f "%e" -o "$work/t" sqlite3 "$work/all.db" ".import --csv $work/csv/$f.csv $f" \
      >/dev/null 2>&1 || true
    all=$(echo "$all + $(cat "$work/t")" | bc)
  done
  echo "sqlite_import_all $all 0" >>"$work/times"
  url=$(pg_db "marquee_$round")
  measure marquee_postgres "$bin" run "$work/data.zip" --workdir "$work/w2_$round" --db "$url"
  step marquee_postgres_ratings "$work/w2_$round" ratings.csv
  for kind in unlogged logged; do
    table="ratings_$kind"
    modifier=""
    [ "$kind" = unlogged ] && modifier=UNLOGGED
    PGOPTIONS='-c client_min_messages=warning' psql -q "$base_url" -c "DROP TABLE IF EXISTS $table" \
      -c "CREATE $modifier TABLE $table (userId bigint, movieId bigint, rating real, timestamp bigint)"
    measure "pg_copy_$kind" psql -q "$base_url" -c "\\copy $table FROM '$work/csv/ratings.csv' CSV HEADER"
  done
done

median() { # median NAME COLUMN
  awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$work/times" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else print v[int((NR + 1) / 2)] }'
}
echo "== ratings.csv: $(unzip -l "$work/data.zip" ratings.csv | awk 'NR==4 {print $1}') bytes, $rounds round(s), medians"
printf '%-26s %10s %12s\n' what wall_s peak_rss_mb
for name in inflate marquee_sqlite_ratings marquee_sqlite unchanged_sqlite_ratings unchanged_sqlite \
  sqlite_import sqlite_import_all marquee_postgres_ratings marquee_postgres pg_copy_unlogged pg_copy_logged; do
  rss=$(median "$name" 3)
  printf '%-26s %10s %12s\n' "$name" "$(median "$name" 2)" "$(echo "scale=1; $rss / 1024" | bc)"
done
ratio() { echo "scale=2; $(median "$1" 2) / $(median "$2" 2)" | bc; }
echo "== ratios"
echo "marquee sqlite ratings step / sqlite3 .import:   $(ratio marquee_sqlite_ratings sqlite_import) (issue #13 wants <= 0.35)"
echo "marquee postgres ratings step / logged \\copy:    $(ratio marquee_postgres_ratings pg_copy_logged) (wants <= 1.1)"
echo "marquee postgres ratings step / unlogged \\copy:  $(ratio marquee_postgres_ratings pg_copy_unlogged)"
echo "marquee sqlite ratings step / inflate floor:     $(ratio marquee_sqlite_ratings inflate)"
echo "marquee sqlite whole run / sum of five imports:  $(ratio marquee_sqlite sqlite_import_all) (wants < 0.5)"
echo "unchanged ratings entry step: $(median unchanged_sqlite_ratings 2) s (wants < 1 s)"
