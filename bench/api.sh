#!/usr/bin/env bash
# bench/api.sh [BUILD_DIR]   requests per second and p99 latency of GET /api/companies/{id}/yearly,
# measured with wrk against `marquee serve` on the scale-1 synthetic database (generated with
# seed 1 and loaded on first use into BUILD_DIR/bench-api/, then reused).
#
# Tunables (environment): DURATION (10s), CONNECTIONS (8), WRK_THREADS (2), SERVE_THREADS (8).
# Two runs: one company (the one with the most movies; the answer is served from memory, so this is
# the server's floor), then the 500 companies with the most movies in turn.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
bin="$build/marquee"
work="$build/bench-api"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-8}"
wrk_threads="${WRK_THREADS:-2}"
serve_threads="${SERVE_THREADS:-8}"

command -v wrk >/dev/null || { echo "bench/api.sh: wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench/api.sh: no $bin; build first (./run.sh or cmake --build build)" >&2; exit 1; }
mkdir -p "$work"

if [ ! -f "$work/work/marquee.db" ]; then
  echo "== generating and loading the scale-1 dataset (once)"
  [ -f "$work/the-movies-dataset.zip" ] ||
    "$bin" generate --scale 1 --seed 1 --out "$work/the-movies-dataset.zip"
  "$bin" run "$work/the-movies-dataset.zip" --workdir "$work/work" >"$work/run.log" 2>&1 ||
    { tail -5 "$work/run.log" >&2; echo "bench/api.sh: marquee run failed (see $work/run.log)" >&2; exit 1; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$bin" serve --workdir "$work/work" --host 127.0.0.1 --port "$port" --threads "$serve_threads" \
  >"$work/serve.log" 2>&1 &
serve_pid=$!
cleanup() { kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null; rm -f "$work/ids.lua"; }
trap cleanup EXIT
for _ in $(seq 300); do
  curl -fs "$base/health" >/dev/null 2>&1 && break
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done

ids=$(curl -fs "$base/api/companies?sort=movies&limit=500" |
  python3 -c 'import json,sys; print(",".join(str(c["id"]) for c in json.load(sys.stdin)["items"]))')
top="${ids%%,*}"
[ -n "$top" ] || { echo "bench/api.sh: the database has no companies" >&2; exit 1; }
cat >"$work/ids.lua" <<EOF
local ids = {$ids}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/companies/" .. ids[(i % #ids) + 1] .. "/yearly")
end
EOF

summary() {  # wrk --latency output -> one line
  awk -v label="$1" '
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { p99 = $2 }
    /^ +50%/ { p50 = $2 }
    /requests in/ { n = $1 }
    /Non-2xx/ { bad = $NF }
    END { printf "%-44s %10s req/s   p50 %8s   p99 %8s   (%s requests, non-2xx: %s)\n", label, rps, p50, p99, n, bad ? bad : 0 }'
}

echo "== wrk: $duration, $connections connections, $wrk_threads wrk threads, $serve_threads server workers"
echo "   $(nproc) cores; $(curl -fs "$base/api/companies?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])') companies in $work/work/marquee.db"
curl -fs "$base/api/companies/$top/yearly" >/dev/null
wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency "$base/api/companies/$top/yearly" >"$work/wrk-one.txt"
summary "GET /api/companies/$top/yearly" <"$work/wrk-one.txt"
wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$work/ids.lua" "$base" >"$work/wrk-many.txt"
summary "GET /api/companies/{500 ids}/yearly" <"$work/wrk-many.txt"
echo "   full wrk output: $work/wrk-one.txt, $work/wrk-many.txt; server log: $work/serve.log"
