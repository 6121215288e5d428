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
marquee_build "$root" all -DMARQUEE_WERROR=ON -DMARQUEE_TESTS=ON -DMARQUEE_BENCH=ON || { echo "build failed" >&2; exit 1; }

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

source "$root/scripts/pg.sh"
svc_dir=$(mktemp -d /tmp/marquee-test-services.XXXXXX)
s3_pid=""
cleanup() {
  [ -n "$s3_pid" ] && kill "$s3_pid" 2>/dev/null
  marquee_pg_stop "$svc_dir"
  rm -rf "$svc_dir"
}
trap cleanup EXIT
marquee_pg_start "$svc_dir" || exit 1

s3_port=$(marquee_free_port)
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
