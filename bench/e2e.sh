#!/usr/bin/env bash
# bench/e2e.sh [SCALE]  the whole job against the bare import of the same CSV, in one run:
#   SQLite:     build/marquee run DATA.zip            vs  sqlite3 .import --csv movies_metadata.csv
#   PostgreSQL: build/marquee run DATA.zip --db PG    vs  psql \copy movies_metadata.csv into one table
# Prints wall seconds, user+sys CPU seconds and peak RSS of each, and the ratios (ours / baseline).
# The machines are noisy: compare the ratios of one run, not absolute times across runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale="${1:-1}"
bin="$root/build/marquee"
[ -x "$bin" ] || { echo "build first: ./test.sh or ./run.sh --help" >&2; exit 1; }
work=$(mktemp -d /tmp/marquee-e2e.XXXXXX)
source "$root/scripts/pg.sh"
trap 'marquee_pg_stop "$work"; rm -rf "$work"' EXIT

"$bin" generate --scale "$scale" --seed 1 --movies-only --out "$work/data.zip" 2>/dev/null
unzip -q "$work/data.zip" movies_metadata.csv -d "$work"

# measure NAME COMMAND...: appends "NAME wall cpu rss_kb" to $work/times
measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null 2>"$work/$name.err" ||
    { cat "$work/$name.err" >&2; echo "$name failed" >&2; exit 1; }
  read -r wall user sys rss <"$work/t"
  echo "$name $wall $(echo "$user + $sys" | bc) $rss" >>"$work/times"
}

measure sqlite_import sqlite3 "$work/base.db" ".import --csv $work/movies_metadata.csv movies"
measure marquee_sqlite "$bin" run "$work/data.zip" --workdir "$work/w1"

marquee_pg_start "$work" >/dev/null
psql -q "$MARQUEE_TEST_PG" -c "CREATE DATABASE baseline" -c "CREATE DATABASE marquee"
base_url="${MARQUEE_TEST_PG%/*}/baseline"
cols=$(head -1 "$work/movies_metadata.csv" | sed 's/,/ text, /g; s/$/ text/')
psql -q "$base_url" -c "CREATE TABLE movies ($cols)"
# COPY refuses the unquoted bare CRs the real file holds (SPEC 3.2); the baseline gets a copy
# with them blanked, so it does a little less than marquee does.
perl -pe 's/\r(?!\n)/ /g' "$work/movies_metadata.csv" >"$work/movies_for_copy.csv"
measure pg_copy psql -q "$base_url" -c "\\copy movies FROM '$work/movies_for_copy.csv' CSV HEADER"
measure marquee_postgres "$bin" run "$work/data.zip" --workdir "$work/w2" --db "${MARQUEE_TEST_PG%/*}/marquee"

cmp -s "$work/w1/movie_results/genre_yearly.csv" "$work/w2/movie_results/genre_yearly.csv" ||
  echo "WARNING: SQLite and PostgreSQL reports differ" >&2

echo "scale $scale: $(grep -c '' "$work/movies_metadata.csv") lines, $(stat -c %s "$work/movies_metadata.csv") bytes of movies_metadata.csv"
printf '%-18s %9s %9s %10s\n' step wall_s cpu_s peak_rss_mb
while read -r name wall cpu rss; do
  printf '%-18s %9.2f %9.2f %10.1f\n' "$name" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)"
done <"$work/times"
ratio() { awk -v a="$1" -v b="$2" -v f="$3" '$1==a{x=$f} $1==b{y=$f} END{printf "%.2f", x/y}' "$work/times"; }
echo "ratio marquee_sqlite/sqlite_import:   wall $(ratio marquee_sqlite sqlite_import 2)x  cpu $(ratio marquee_sqlite sqlite_import 3)x  (target: within 3x)"
echo "ratio marquee_postgres/pg_copy:       wall $(ratio marquee_postgres pg_copy 2)x  cpu $(ratio marquee_postgres pg_copy 3)x  (target: within 3x)"
