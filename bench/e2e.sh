#!/usr/bin/env bash
# bench/e2e.sh [SCALE]  the whole job against what a user would run instead, on one generated
# archive (movies_metadata.csv only), in one run, alternating, MARQUEE_BENCH_ROUNDS rounds (default 3):
#   marquee_sqlite     build/marquee run DATA.zip (a fresh work directory each round)
#   marquee_postgres   build/marquee run DATA.zip --db PG (a fresh database each round)
#   sqlite_import      sqlite3 .import --csv movies_metadata.csv into one table
#   pg_copy            psql \copy of it into one table
#   duckdb             ../shared/bench/duck_e2e.mjs, the expert DuckDB script (exact answers)
#   pandas             ../shared/bench/peer_pandas.py, the typical pandas solution
# Prints each median (wall, user+sys CPU, peak RSS) and the ratios marquee / baseline. The
# yardsticks are installed here, never by ./test.sh: @duckdb/node-api from npm into
# build/bench-node (MARQUEE_BENCH_DUCKDB_VERSION, default the latest), Debian's python3-pandas.
# A yardstick that cannot run says why and is left out of the ratios.
# The machines are noisy: compare the ratios of one run, not absolute times across runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
scale="${1:-1}"
rounds="${MARQUEE_BENCH_ROUNDS:-3}"
bin="$root/build/marquee"
[ -x "$bin" ] || { echo "build first: ./test.sh or ./run.sh --help" >&2; exit 1; }
work=$(mktemp -d /tmp/marquee-e2e.XXXXXX)
source "$root/scripts/pg.sh"
trap 'marquee_pg_stop "$work"; rm -rf "$work"' EXIT

"$bin" generate --scale "$scale" --seed 1 --movies-only --out "$work/generated.zip" 2>/dev/null
# DuckDB's parallel CSV reader refuses a file with both quoted line breaks and short rows
# ("does not support null_padding in conjunction with quoted new lines"), and the expert script
# needs null_padding for the real file's bare-CR rows. Every contender gets the same archive:
# the generated one with each line break inside a quoted field (overviews; ~150 at scale 1, in
# no report) made a space.
unzip -q "$work/generated.zip" movies_metadata.csv -d "$work/generated"
python3 - "$work/generated/movies_metadata.csv" "$work/movies_metadata.csv" <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
quoted = False
for i, b in enumerate(data):
    if b == 0x22:
        quoted = not quoted
    elif b == 0x0A and quoted:
        data[i] = 0x20
open(sys.argv[2], 'wb').write(data)
PY
(cd "$work" && zip -q -X data.zip movies_metadata.csv)
rm -rf "$work/generated" "$work/generated.zip"

# The yardsticks. Debian's python3 (a pyenv or venv python on PATH does not see python3-pandas).
python=/usr/bin/python3
have_pandas=1
if ! "$python" -c 'import pandas' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pandas >/dev/null 2>&1 || true
  fi
  "$python" -c 'import pandas' 2>/dev/null || { have_pandas=0; echo "pandas: python3-pandas is not installed; left out" >&2; }
fi
node_dir="$root/build/bench-node"
have_duckdb=1
if [ ! -d "$node_dir/node_modules/@duckdb/node-api" ]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --no-audit --no-fund --silent \
    "@duckdb/node-api@${MARQUEE_BENCH_DUCKDB_VERSION:-latest}" >/dev/null 2>&1) ||
    { have_duckdb=0; echo "duckdb: npm install @duckdb/node-api failed; left out" >&2; }
fi
# An ES module finds its packages beside itself, not on NODE_PATH.
cp "$root/../shared/bench/duck_e2e.mjs" "$node_dir/duck_e2e.mjs" 2>/dev/null || have_duckdb=0

marquee_pg_start "$work" >/dev/null
psql -q "$MARQUEE_TEST_PG" -c "CREATE DATABASE baseline"
base_url="${MARQUEE_TEST_PG%/*}/baseline"
cols=$(head -1 "$work/movies_metadata.csv" | sed 's/,/ text, /g; s/$/ text/')
# COPY refuses the unquoted bare CRs the real file holds (SPEC 3.2); the baseline gets a copy
# with them blanked, so it does a little less than marquee does.
perl -pe 's/\r(?!\n)/ /g' "$work/movies_metadata.csv" >"$work/movies_for_copy.csv"
pg_db() { # pg_db NAME: a fresh database, its URL on stdout
  PGOPTIONS='-c client_min_messages=warning' psql -q "$MARQUEE_TEST_PG" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  echo "${MARQUEE_TEST_PG%/*}/$1"
}

# measure NAME COMMAND...: appends "NAME wall cpu rss_kb" to $work/times; false when it failed
measure() {
  local name="$1"; shift
  if ! /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    echo "$name failed: $(grep -m1 -E 'Error|error' "$work/$name.err" | cut -c1-200)" >&2
    return 1
  fi
  read -r wall user sys rss <"$work/t"
  echo "$name $wall $(echo "$user + $sys" | bc) $rss" >>"$work/times"
}

for round in $(seq 1 "$rounds"); do
  rm -rf "$work/w1" "$work/base.db" "$work/duck_out" "$work/pandas_out"
  measure marquee_sqlite "$bin" run "$work/data.zip" --workdir "$work/w1"
  measure sqlite_import sqlite3 "$work/base.db" ".import --csv $work/movies_metadata.csv movies"
  url=$(pg_db "marquee_$round")
  measure marquee_postgres "$bin" run "$work/data.zip" --workdir "$work/w2_$round" --db "$url"
  PGOPTIONS='-c client_min_messages=warning' psql -q "$base_url" -c "DROP TABLE IF EXISTS movies" -c "CREATE TABLE movies ($cols)"
  measure pg_copy psql -q "$base_url" -c "\\copy movies FROM '$work/movies_for_copy.csv' CSV HEADER"
  if [ "$have_duckdb" = 1 ]; then
    (cd "$node_dir" && measure duckdb node duck_e2e.mjs "$work/data.zip" "$work/duck_out") || have_duckdb=0
  fi
  if [ "$have_pandas" = 1 ]; then
    measure pandas "$python" "$root/../shared/bench/peer_pandas.py" "$work/data.zip" "$work/pandas_out" || have_pandas=0
  fi
done

cmp -s "$work/w1/movie_results/genre_yearly.csv" "$work/w2_1/movie_results/genre_yearly.csv" ||
  echo "WARNING: SQLite and PostgreSQL reports differ" >&2
for peer in duckdb pandas; do
  grep -q "^$peer " "$work/times" || continue
  same=0
  for f in company_yearly company_genre_yearly genre_yearly most_popular_genre_by_year; do
    cmp -s "$work/${peer/duckdb/duck}_out/$f.csv" "$work/w1/movie_results/$f.csv" && same=$((same + 1))
  done
  echo "$peer: $same of 4 reports byte-identical to marquee's"
done

echo "scale $scale: $(grep -c '' "$work/movies_metadata.csv") lines, $(stat -c %s "$work/movies_metadata.csv") bytes of movies_metadata.csv; $rounds rounds"
# median NAME FIELD: the median of that column (2 wall, 3 cpu, 4 rss) over the rounds
median() {
  awk -v n="$1" -v f="$2" '$1==n{print $f}' "$work/times" | sort -g |
    awk '{v[NR]=$1} END{if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
printf '%-18s %9s %9s %10s\n' step wall_s cpu_s peak_rss_mb
for name in marquee_sqlite marquee_postgres sqlite_import pg_copy duckdb pandas; do
  grep -q "^$name " "$work/times" || continue
  printf '%-18s %9.2f %9.2f %10.1f\n' "$name" "$(median "$name" 2)" "$(median "$name" 3)" \
    "$(echo "$(median "$name" 4) / 1024" | bc -l)"
done
ratio() { # ratio A B: wall and cpu of A over B, medians
  grep -q "^$2 " "$work/times" || { echo "n/a ($2 did not run)"; return; }
  awk -v a="$(median "$1" 2)" -v b="$(median "$2" 2)" -v c="$(median "$1" 3)" -v d="$(median "$2" 3)" \
    'BEGIN{printf "wall %.2fx  cpu %.2fx", a/b, c/d}'
}
echo "marquee_sqlite / duckdb:          $(ratio marquee_sqlite duckdb)  (#12: <= 1.0x, aim 0.5x)"
echo "marquee_sqlite / pandas:          $(ratio marquee_sqlite pandas)  (#12: <= 0.125x, 8x faster)"
echo "marquee_sqlite / sqlite_import:   $(ratio marquee_sqlite sqlite_import)  (#12: <= 2.5x)"
echo "marquee_postgres / pg_copy:       $(ratio marquee_postgres pg_copy)  (#12: <= 3x)"
