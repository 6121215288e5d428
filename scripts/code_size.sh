#!/usr/bin/env bash
# scripts/code_size.sh [N]  the size figures of issue #11: files under src/ over 1,000 lines and
# functions over N lines (default 80), measured with universal-ctags (function start and end).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
limit="${1:-80}"
echo "files over 1000 lines:"
find src -name '*.cpp' -o -name '*.hpp' | xargs wc -l | awk '$2 != "total" && $1 > 1000 {print "  " $1, $2}'
echo "functions over $limit lines:"
ctags -x --_xformat='%{end} %n %N %F' --kinds-c++=f --fields=+ne -R src 2>/dev/null |
  awk -v lim="$limit" '$1 > 0 {len = $1 - $2 + 1; if (len > lim) printf "  %5d %s:%d %s\n", len, $4, $2, $3}' |
  sort -rn
