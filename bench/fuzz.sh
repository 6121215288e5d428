#!/usr/bin/env bash
# bench/fuzz.sh [SECONDS]  builds every fuzz/*_fuzz.cpp as a libFuzzer target with ASan and UBSan
# into build/fuzz/, runs each in turn for SECONDS (default 600) on its corpus in
# build/fuzz/corpus/<name> (kept between runs, seeded from tests/fixtures), and prints per target
# the runs executed, exec/s, coverage and whether it crashed. Exits 1 if any target crashed,
# 2 if a target failed to build (the others still run). Crash inputs go to
# build/fuzz/artifacts/<name>/, logs to build/fuzz/logs/; replay one with
#   build/fuzz/<name> build/fuzz/artifacts/<name>/crash-...
# FUZZ_CXXFLAGS adds compiler flags before the defaults (an -I there wins over src/).
set -uo pipefail

seconds="${1:-600}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: bench/fuzz.sh [SECONDS]  (a positive whole number of seconds per target)" >&2
  exit 2
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2
out="$root/build/fuzz"
cxx="${CXX_FUZZ:-clang++}"
jobs="${FUZZ_BUILD_JOBS:-2}"

if ! command -v "$cxx" >/dev/null; then
  echo "fuzz: $cxx not found (install clang, which ships libFuzzer)" >&2
  exit 2
fi
shopt -s nullglob
# FUZZ_TARGETS picks targets (e.g. fuzz/csv_reader_fuzz.cpp); default: all of them.
# shellcheck disable=SC2206
targets=(${FUZZ_TARGETS:-fuzz/*_fuzz.cpp})
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz/*_fuzz.cpp targets" >&2
  exit 2
fi

# shellcheck disable=SC2206
flags=(${FUZZ_CXXFLAGS:-})
# shellcheck disable=SC2054  # the commas belong to -fsanitize
flags+=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
  -fno-sanitize-recover=undefined -I "$root/src")
# shellcheck disable=SC2207
flags+=($(pkg-config --cflags fmt libzip 2>/dev/null))
# shellcheck disable=SC2207
libs=($(pkg-config --libs libzip fmt 2>/dev/null || echo -lzip -lfmt))

# The library code is compiled once, instrumented for coverage, into an archive so that each
# target links only the objects it uses. A source that does not compile (a file another engineer
# is halfway through) is left out: only the targets that need it fail to link.
echo "== build ($cxx, ${#targets[@]} targets) into build/fuzz"
mkdir -p "$out/obj" "$out/logs"
rm -f "$out/obj/"*.o "$out/libmarquee_fuzz.a"
sources=(src/common/*.cpp src/format/*.cpp)
compile() {
  local obj log
  obj="$out/obj/$(echo "${1%.cpp}" | tr '/' '_').o"
  log="$out/logs/$(echo "${1%.cpp}" | tr '/' '_').build.log"
  if ! "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$1" -o "$obj" 2>"$log"; then
    echo "fuzz: $1 does not compile, left out: $(grep -m1 'error:' "$log") (full log $log)" >&2
    return 1
  fi
}
build_failed=0
pids=()
for src in "${sources[@]}"; do
  compile "$src" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || build_failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do
  wait "$pid" || build_failed=1
done
objects=("$out/obj/"*.o)
[ ${#objects[@]} -gt 0 ] && ar rcs "$out/libmarquee_fuzz.a" "${objects[@]}"

names=()
summary=()
for target in "${targets[@]}"; do
  name="$(basename "${target%.cpp}")"
  log="$out/logs/$name.build.log"
  rm -f "$out/$name"
  if "$cxx" "${flags[@]}" -fsanitize=fuzzer "$target" \
    ${objects[0]:+"$out/libmarquee_fuzz.a"} "${libs[@]}" -o "$out/$name" 2>"$log"; then
    names+=("$name")
  else
    build_failed=1
    echo "fuzz: $target does not build: $(grep -m1 -E 'error:|undefined reference' "$log") (full log $log)" >&2
    summary+=("$(printf '%-20s BUILD FAILED, see %s' "$name" "$log")")
  fi
done

# Seeds: CSV targets start from the fixture files; the literal parser from the literal columns
# of those files and a few hand-made literals that reach every escape.
# Small seeds keep libFuzzer's input size limit (the largest seed, at least 4 KiB) low and its
# runs fast: each CSV fixture gives its header and first records, cut at a line end.
seed_csv_files() {
  local dir="$1" file
  for file in tests/fixtures/*.csv tests/fixtures/*/*.csv; do
    if [ "$(stat -c %s "$file")" -le 4096 ]; then
      cp "$file" "$dir/$(echo "$file" | tr / _)"
    else
      head -c 4096 "$file" | sed '$d' >"$dir/$(echo "$file" | tr / _)"
    fi
  done
}

seed_py_literals() {
  local dir="$1" i=0 literal
  local literals=(
    "[{'id': 16, 'name': 'Animation'}, {'id': 35, 'name': 'Comedy'}]"
    "[{'name': \"Po' Boy Productions\", 'id': 11787}]"
    "{'id': 122017, 'name': 'Screamers Collection', 'poster_path': None, 'backdrop_path': None}"
    "[{'iso_639_1': 'fr', 'name': 'Français'}, {'iso_639_1': 'mn', 'name': ''}]"
    "['\\' \\\" \\\\ \\n \\r \\t \\a \\b \\f \\v \\0 \\101 \\x41 \\u00e9 \\U0001F600 \\q \\ud800']"
    "(1, -2, +3, 4.5, -1.7e-05, .5, 5., 1E+3, True, False, None, (), (1,), [], {})"
    "{(1, 'a'): [[[{}]]], 9223372036854775807: -9223372036854775808,}"
  )
  for literal in "${literals[@]}"; do
    printf '%s' "$literal" >"$dir/hand_$i"
    i=$((i + 1))
  done
  command -v python3 >/dev/null || return 0
  python3 - "$dir" tests/fixtures/*.csv tests/fixtures/*/*.csv <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
out, n = sys.argv[1], 0
for path in sys.argv[2:]:
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for row in csv.reader(f):
            for field in row:
                if field[:1] in "[{" and len(field) <= 4096 and n < 300:
                    with open(f"{out}/fixture_{n}", "w", encoding="utf-8") as seed:
                        seed.write(field)
                    n += 1
PY
}

write_py_literal_dict() {
  cat >"$1" <<'DICT'
"None"
"True"
"False"
"'"
"\""
"\\"
"\\x"
"\\u"
"\\U"
"\\N{"
"\\\x0a"
"["
"]"
"{"
"}"
"("
")"
": "
", "
"e-"
"E+"
"."
"-"
"'id'"
"'name'"
DICT
}

printf '\n== run %s s per target (%d targets, one after another)\n' "$seconds" "${#names[@]}"
crashed=0
for name in "${names[@]}"; do
  corpus="$out/corpus/$name"
  seeds="$out/seed/$name"
  artifacts="$out/artifacts/$name"
  log="$out/logs/$name.log"
  rm -rf "$seeds"
  mkdir -p "$corpus" "$seeds" "$artifacts"
  dict_args=()
  case "$name" in
    *csv*) seed_csv_files "$seeds" ;;
    py_literal_fuzz)
      seed_py_literals "$seeds"
      write_py_literal_dict "$out/$name.dict"
      dict_args=(-dict="$out/$name.dict")
      ;;
    *) seed_csv_files "$seeds" ;;
  esac
  before=$(find "$artifacts" -type f | wc -l)
  echo "-- $name: $(find "$corpus" -type f | wc -l) corpus + $(find "$seeds" -type f | wc -l) seed inputs, log $log"
  "$out/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dict_args[@]}" "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  after=$(find "$artifacts" -type f | wc -l)

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  features=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*/[0-9A-Za-z]*' "$log" | tail -1 | cut -d' ' -f2)
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
    crashed=1
    what=$(grep -m1 -E '^==[0-9]+==ERROR|runtime error|ALARM|out-of-memory|deadly signal' "$log")
    artifact=$(grep -o "Test unit written to .*" "$log" | tail -1 | sed 's/Test unit written to //')
    result="CRASHED (exit $rc): ${what:-see log}; input: ${artifact:-none written}"
  else
    result="ok"
  fi
  line=$(printf '%-20s runs %-10s exec/s %-7s cov %-6s ft %-7s corpus %-12s %s' "$name" \
    "${runs:-?}" "${rate:-?}" "${cov:-?}" "${features:-?}" "${corp:-?}" "$result")
  echo "$line"
  summary+=("$line")
done

printf '\n== summary\n'
printf '%s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
  echo "fuzz: at least one target crashed; inputs in build/fuzz/artifacts/" >&2
  exit 1
fi
if [ "$build_failed" -ne 0 ]; then
  echo "fuzz: some code did not build (see above); the targets that built ran clean" >&2
  exit 2
fi
exit 0
