#!/usr/bin/env bash
# tests/packaging/completion_test.sh MARQUEE SOURCE_DIR: the hand-written bash and zsh
# completions and the man page (deploy/) against what the binary says. For every command of
# `marquee help`, the options of `marquee help COMMAND` must be exactly what the bash completion
# offers after `marquee COMMAND -`, and each must be in the zsh completion and in the man page.
set -uo pipefail
marquee="$1" src="$2"
bash_completion="$src/deploy/completion/marquee.bash"
zsh_completion="$src/deploy/completion/_marquee"
man_page="$src/deploy/man/marquee.1"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The option names of one help text: "  -v,--verbose  ..." gives -v and --verbose.
options_of() {
  "$marquee" help "$@" | sed -nE 's/^  (-[A-Za-z0-9],)?(--[a-z][a-z0-9-]*).*/\1 \2/p' | tr ', ' '\n\n' |
    grep -E '^-' | sort -u
}
# What the bash completion offers for the words given (the last one is being completed).
complete_bash() {
  bash -c 'source "$1" || exit 1; shift
    COMP_WORDS=(marquee "$@"); COMP_CWORD=$#; COMP_LINE="marquee $*"; COMP_POINT=${#COMP_LINE}
    _marquee marquee "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}"' completion "$bash_completion" "$@" | sort -u
}

commands=$("$marquee" help | sed -n '/^Subcommands:/,$p' | sed -nE 's/^  ([a-z]+) .*/\1/p')
[ -n "$commands" ] || fail "no commands in 'marquee help'"
expected_top=$(printf '%s\n' $commands help version)
offered_top=$(complete_bash "")
for cmd in $expected_top; do
  grep -qx "$cmd" <<<"$offered_top" || fail "bash: 'marquee <TAB>' does not offer $cmd"
done
[ "$(complete_bash ru)" = run ] || fail "bash: 'marquee ru<TAB>' gives '$(complete_bash ru)', not run"
[ "$(complete_bash run --che)" = --checks ] || fail "bash: 'marquee run --che<TAB>' is not --checks"
[ "$(complete_bash load --checks "")" = "$(printf 'error\nwarn')" ] ||
  fail "bash: 'marquee load --checks <TAB>' is not error, warn"

# The man page's option entries: its .B, .BI and .BR lines, with roff's \- as -.
man_options=$(grep -E '^\.B[IR]? ' "$man_page" | sed 's/\\-/-/g')
for cmd in $commands; do
  expected=$(options_of "$cmd")
  offered=$(complete_bash "$cmd" -)
  if [ "$expected" != "$offered" ]; then
    fail "bash: 'marquee $cmd -<TAB>' differs from 'marquee help $cmd' (< help, > completion):"
    diff <(echo "$expected") <(echo "$offered") | grep '^[<>]' >&2
  fi
  grep -qE "^ *'$cmd:" "$zsh_completion" || fail "zsh: no command $cmd"
  grep -qE "^\.B $cmd( |$)" "$man_page" || fail "man: no entry for the command $cmd"
  for opt in $expected; do
    # zsh spells an option '--name[...]', '--name=[...]' or {-v,--verbose}.
    grep -qE -- "(^|[^a-z-])$opt([=[}]|,)" "$zsh_completion" || fail "zsh: $cmd $opt missing"
    grep -qE -- "(^| )$opt( |\"|$)" <<<"$man_options" || fail "man: $cmd $opt missing"
  done
done

version=$("$marquee" --version)
grep -qE "^\.TH MARQUEE 1 [0-9-]+ \"marquee $version\"" "$man_page" ||
  fail "man: the .TH line does not name marquee $version"
if command -v groff >/dev/null; then
  warnings=$(groff -man -ww -z "$man_page" 2>&1)
  [ -z "$warnings" ] || fail "man: groff warns: $warnings"
fi
if command -v zsh >/dev/null; then
  zsh -n "$zsh_completion" || fail "zsh: $zsh_completion does not parse"
fi
echo "$failures failure(s)"
[ "$failures" -eq 0 ]
