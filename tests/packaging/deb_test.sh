#!/usr/bin/env bash
# tests/packaging/deb_test.sh BUILD_DIR VERSION: `cmake --install` into a temporary prefix, then
# the CPack .deb built into a temporary folder, installed with dpkg, used from the installed
# files alone (--version, generate, run, serve with the dashboard and chart.js, the man page,
# the bash completion, the units), and removed again. Exit 77 (skip) unless root with dpkg.
# The package is removed on every exit, failure included.
set -uo pipefail
build=$(cd "$1" && pwd) version="$2"

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null || ! command -v cpack >/dev/null; then
  echo "skip: needs root, dpkg and cpack (installs and removes the marquee package)"
  exit 77
fi
if dpkg-query -W -f='${Status}' marquee 2>/dev/null | grep -q 'install ok installed'; then
  echo "FAIL: the package marquee is already installed here; this test installs and removes it" >&2
  exit 1
fi

tmp=$(mktemp -d /tmp/marquee-deb-test.XXXXXX)
had_user=no
getent passwd marquee >/dev/null && had_user=yes
installed=no
serve_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ "$installed" = yes ] && dpkg -P marquee >/dev/null 2>&1
  [ "$had_user" = no ] && getent passwd marquee >/dev/null && userdel marquee 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM

failures=0
check() {  # check DESCRIPTION COMMAND...: runs COMMAND, counts a failure when it fails
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what" >&2; failures=$((failures + 1)); fi
}
have_line() { grep -qF -- "$2" "$1" || { echo "  '$2' not in $1:" >&2; sed 's/^/    /' "$1" >&2; false; }; }
same_file() { cmp -s "$1" "$2" || { echo "  $1 differs from $2" >&2; false; }; }

# serve_once BINARY WORKDIR LOG: starts serve on a free port, sets $port once it listens.
serve_once() {
  env -u MARQUEE_NODE_MODULES -u MARQUEE_WEB_DIR "$1" serve --workdir "$2" --log-dir "$tmp/serve-log" \
    --host 127.0.0.1 --port 0 --threads 2 >"$3" 2>&1 &
  serve_pid=$!
  port=""
  for _ in $(seq 100); do
    port=$(grep -oE 'dashboard at http://127\.0\.0\.1:[0-9]+/' "$3" | grep -oE '[0-9]+/$' | tr -d /)
    [ -n "$port" ] && return 0
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "  serve did not start:" >&2; sed 's/^/    /' "$3" >&2
  return 1
}
stop_serve() { kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; serve_pid=""; }

# Run from an empty folder, so that nothing is found relative to the current directory.
cd "$tmp" || exit 1
mkdir -p data

echo "== cmake --install --prefix $tmp/prefix"
prefix="$tmp/prefix"
if ! cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log" >&2; echo "FAIL: cmake --install" >&2; exit 1
fi
check "installed binary says $version" test "$("$prefix/bin/marquee" --version)" = "$version"
check "chart.js vendored into share/marquee/web/vendor/" \
  grep -q "Chart.js v" "$prefix/share/marquee/web/vendor/chart.umd.js"
check "the units name the installed binary" \
  have_line "$prefix/lib/systemd/system/marquee-serve.service" "ExecStart=$prefix/bin/marquee serve"
"$build/marquee" generate --scale 0.01 --seed 1 --out "$tmp/data/a.zip" >/dev/null 2>&1
"$build/marquee" run "$tmp/data/a.zip" --workdir "$tmp/w0" >/dev/null 2>&1
if serve_once "$prefix/bin/marquee" "$tmp/w0" "$tmp/serve0.log"; then
  check "a prefix install serves its own dashboard" \
    have_line "$tmp/serve0.log" "serve: dashboard from $prefix/share/marquee/web"
  check "and its own chart.js" \
    have_line "$tmp/serve0.log" "serve: charts from $prefix/share/marquee/web/vendor/chart.umd.js"
  stop_serve
else
  failures=$((failures + 1))
fi
rm -rf "$tmp/data" "$tmp/w0"

echo "== cpack -G DEB"
if ! cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log" >&2; echo "FAIL: cpack" >&2; exit 1
fi
deb=$(ls "$tmp"/pkg/marquee_"$version"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { cat "$tmp/cpack.log" >&2; echo "FAIL: no marquee_${version}_*.deb" >&2; exit 1; }
check "the package depends on the shared libraries (dpkg-shlibdeps)" \
  sh -c "dpkg-deb -f '$deb' Depends | grep -q 'libsqlite3-0'"

echo "== dpkg -i $(basename "$deb")"
installed=yes
if ! dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
  cat "$tmp/dpkg.log" >&2; echo "FAIL: dpkg -i" >&2; exit 1
fi
check "/usr/bin/marquee --version is $version" test "$(/usr/bin/marquee --version)" = "$version"
check "postinst made the user marquee" getent passwd marquee

/usr/bin/marquee generate --scale 0.01 --seed 1 --out "$tmp/a.zip" >"$tmp/generate.log" 2>&1
check "generate exits 0" test $? -eq 0
/usr/bin/marquee run "$tmp/a.zip" --workdir "$tmp/w" >"$tmp/run.log" 2>&1
check "run exits 0" test $? -eq 0
for report in company_yearly company_genre_yearly genre_yearly most_popular_genre_by_year; do
  check "run wrote $report.csv" test -s "$tmp/w/movie_results/$report.csv"
done
check "run wrote run_summary.json" test -s "$tmp/w/movie_results/run_summary.json"

if serve_once /usr/bin/marquee "$tmp/w" "$tmp/serve.log"; then
  check "serve takes the dashboard from /usr/share/marquee/web" \
    have_line "$tmp/serve.log" "serve: dashboard from /usr/share/marquee/web"
  check "serve takes chart.js from the package" \
    have_line "$tmp/serve.log" "serve: charts from /usr/share/marquee/web/vendor/chart.umd.js"
  code=$(curl -s -o "$tmp/index.html" -w '%{http_code}' "http://127.0.0.1:$port/")
  check "GET / is 200 ($code)" test "$code" = 200
  check "GET / is the installed index.html" same_file "$tmp/index.html" /usr/share/marquee/web/index.html
  code=$(curl -s -o "$tmp/chart.umd.js" -w '%{http_code}' "http://127.0.0.1:$port/vendor/chart.umd.js")
  check "GET /vendor/chart.umd.js is 200 ($code)" test "$code" = 200
  check "GET /vendor/chart.umd.js is the vendored file" \
    same_file "$tmp/chart.umd.js" /usr/share/marquee/web/vendor/chart.umd.js
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/genres")
  check "GET /api/genres is 200 ($code)" test "$code" = 200
  stop_serve
else
  failures=$((failures + 1))
fi

if command -v man >/dev/null; then
  check "man -w marquee finds the page" test "$(man -w marquee 2>/dev/null)" = /usr/share/man/man1/marquee.1.gz
else
  check "the man page is installed" test -s /usr/share/man/man1/marquee.1.gz
fi
check "the bash completion completes 'marquee ru' to run" bash -c '
  source /usr/share/bash-completion/completions/marquee || exit 1
  complete -p marquee | grep -q -- "-F _marquee" || exit 1
  COMP_WORDS=(marquee ru) COMP_CWORD=1 COMP_LINE="marquee ru" COMP_POINT=10
  _marquee marquee ru marquee
  [ "${COMPREPLY[*]}" = run ]'
if command -v zsh >/dev/null; then
  check "the zsh completion parses" zsh -n /usr/share/zsh/vendor-completions/_marquee
fi
if command -v systemd-analyze >/dev/null; then
  # verify exits 0 on unknown keys and bad values, so its output must be empty.
  (cd /usr/lib/systemd/system && systemd-analyze verify marquee.service marquee.timer \
    marquee-backfill.service marquee-serve.service >"$tmp/verify.log" 2>&1)
  check "systemd-analyze verify finds nothing to say about the units" \
    sh -c "test ! -s '$tmp/verify.log' || { cat '$tmp/verify.log' >&2; false; }"
fi

echo "== dpkg -r marquee"
dpkg -r marquee >"$tmp/dpkg-r.log" 2>&1
check "dpkg -r exits 0" test $? -eq 0
check "/usr/bin/marquee is gone" test ! -e /usr/bin/marquee
check "/usr/share/marquee is gone" test ! -e /usr/share/marquee
check "dpkg no longer lists marquee as installed" \
  sh -c "! dpkg-query -W -f='\${Status}' marquee 2>/dev/null | grep -q 'install ok installed'"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
