#!/usr/bin/env bash
# ./test.sh [ctest args...]  installs what is missing, builds with -Werror, checks the format,
# starts the real services the tests need (a throwaway PostgreSQL 15 cluster and the s3rver S3
# emulator, both on free loopback ports), runs the whole suite with CTest, and stops what it started.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
source "$root/scripts/deps.sh"
marquee_install_packages "${MARQUEE_BUILD_PACKAGES[@]}" "${MARQUEE_TEST_PACKAGES[@]}" || exit 1

echo "== build"
marquee_build "$root" -DMARQUEE_WERROR=ON -DMARQUEE_TESTS=ON -DMARQUEE_BENCH=ON || { echo "build failed" >&2; exit 1; }

echo "== format check"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'fuzz/*.cpp' 2>/dev/null)
if [ -n "$files" ] && ! clang-format --dry-run --Werror $files; then
  echo "format check failed: run clang-format -i on the files above" >&2
  exit 1
fi

echo "== test services"
node_dir="$root/build/node"
mkdir -p "$node_dir"
cp "$root/tests/node/package.json" "$root/tests/node/package-lock.json" "$node_dir/"
if ! (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
  echo "npm ci failed in $node_dir (check the npm registry is reachable)" >&2
  exit 1
fi
export MARQUEE_NODE_MODULES="$node_dir/node_modules"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
svc_dir=$(mktemp -d /tmp/marquee-test-services.XXXXXX)
chmod 755 "$svc_dir"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_data="$svc_dir/pg"
s3_pid=""
cleanup() {
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null
  if [ -f "$pg_data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_data" -m immediate stop >/dev/null 2>&1
  fi
  rm -rf "$svc_dir"
}
trap cleanup EXIT

pg_port=$(free_port)
mkdir -p "$pg_data" && chown postgres "$pg_data"
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_data" -A trust -U postgres >"$svc_dir/initdb.log" 2>&1 ||
  { cat "$svc_dir/initdb.log" >&2; echo "initdb failed" >&2; exit 1; }
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w \
  -o "-h 127.0.0.1 -p $pg_port -k $pg_data -c fsync=off -c max_connections=200" start >/dev/null ||
  { cat "$pg_data/server.log" >&2; echo "PostgreSQL did not start" >&2; exit 1; }
export MARQUEE_TEST_PG="postgresql://postgres@127.0.0.1:$pg_port/postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port"

s3_port=$(free_port)
mkdir -p "$svc_dir/s3"
# s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
node --openssl-legacy-provider "$MARQUEE_NODE_MODULES/s3rver/bin/s3rver.js" --address 127.0.0.1 --port "$s3_port" \
  --directory "$svc_dir/s3" --silent >"$svc_dir/s3rver.log" 2>&1 &
s3_pid=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null && break
  sleep 0.2
done
export MARQUEE_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
echo "s3rver on $MARQUEE_TEST_S3_ENDPOINT"

echo "== tests"
cd "$root/build"
ctest --output-on-failure --timeout 600 -j2 "$@"
