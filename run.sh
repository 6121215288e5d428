#!/usr/bin/env bash
# ./run.sh [SOURCE] [flags...]   installs what is missing, builds (Release), runs the job.
# ./run.sh --demo [flags...]     generates a scale-1 dataset first (no network needed).
# ./run.sh --help                the commands.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$root/scripts/deps.sh"
marquee_install_packages "${MARQUEE_BUILD_PACKAGES[@]}"
# A first configure leaves the tests out (their packages are test.sh's); later runs keep what
# test.sh configured and build only the executable.
if [ -f "$root/build/build.ninja" ]; then
  marquee_build "$root" marquee >&2
else
  marquee_build "$root" marquee -DMARQUEE_TESTS=OFF -DMARQUEE_BENCH=OFF >&2
fi
bin="$root/build/marquee"

canonical="s3://com.guild.us-west-2.public-data/project-data/the-movies-dataset.zip"
case "${1:-}" in
  --help|-h|help) exec "$bin" --help ;;
  --demo)
    shift
    serve=0; args=()
    for a in "$@"; do [ "$a" = "--serve" ] && serve=1 || args+=("$a"); done
    workdir="working_directory"
    mkdir -p "$workdir/demo"
    demo="$workdir/demo/the-movies-dataset.zip"
    [ -f "$demo" ] || "$bin" generate --scale 1 --seed 1 --out "$demo"
    "$bin" run "$demo" --workdir "$workdir" ${args[@]+"${args[@]}"}
    if [ "$serve" = 1 ]; then
      node_dir="$root/build/node"  # the dashboard's chart.js, pinned in tests/node/package-lock.json
      if command -v npm >/dev/null && [ ! -f "$node_dir/node_modules/chart.js/dist/chart.umd.js" ]; then
        mkdir -p "$node_dir" && cp "$root/tests/node/package.json" "$root/tests/node/package-lock.json" "$node_dir/" &&
          (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
          echo "run.sh: npm ci failed; the dashboard will show tables without charts" >&2
      fi
      exec "$bin" serve --workdir "$workdir"
    fi
    ;;
  ""|-*) exec "$bin" run "$canonical" "$@" ;;
  *) src="$1"; shift; exec "$bin" run "$src" "$@" ;;
esac
