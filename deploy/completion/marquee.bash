# bash completion for marquee: installed as share/bash-completion/completions/marquee, or
# `source deploy/completion/marquee.bash`. Completes the commands, each command's options (as
# `marquee help COMMAND` lists them; tests/packaging/completion_test.sh keeps the two equal),
# and the values it can: folders, files, --checks, --log-format, movies --format, the --db
# schemes, a command after `help`.

_marquee() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=${COMP_WORDS[COMP_CWORD - 1]}
  local commands="run stage load validate backfill report status check prune generate serve movies"
  local common="--workdir --db --log-dir -v --verbose -q --quiet --log-format -h --help"
  local load="--snapshot --max-reject-ratio --max-record-bytes --checks --lock-timeout"
  local alert="--on-failure --alert-webhook --alert-timeout --metrics-textfile-dir"
  local stage="--retries --no-sign-request --as-of"
  local backfill="--as-of-pattern --as-of-manifest --dry-run"
  local movies="--company --genre --year --format"
  local serve="--host --port --threads --read-timeout --max-connections"
  local generate="--scale --seed --ratings-scale --movies-only --out -h --help"
  COMPREPLY=()

  # The command is the first word that is not an option: marquee has no global option with a value.
  local cmd="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$commands help version --version -V -h --help" -- "$cur"))
    return 0
  fi

  case $prev in
    --workdir | --log-dir | --metrics-textfile-dir)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur"))
      return 0
      ;;
    --out | --as-of-manifest)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0
      ;;
    --checks)
      COMPREPLY=($(compgen -W "warn error" -- "$cur"))
      return 0
      ;;
    --log-format)
      COMPREPLY=($(compgen -W "text json" -- "$cur"))
      return 0
      ;;
    --format)
      COMPREPLY=($(compgen -W "csv json" -- "$cur"))
      return 0
      ;;
    --db)
      compopt -o nospace 2>/dev/null
      COMPREPLY=($(compgen -W "sqlite: postgresql://" -- "$cur"))
      return 0
      ;;
    --max-reject-ratio | --max-record-bytes | --lock-timeout | --on-failure | --alert-webhook | \
      --alert-timeout | --retries | --as-of | --backfill-batches | --keep | --host | --port | \
      --threads | --read-timeout | --max-connections | --scale | --seed | --ratings-scale | \
      --as-of-pattern | --company | --genre | --year)
      return 0
      ;;
  esac

  local opts sources=""
  case $cmd in
    run) opts="$common $load $stage $alert --backfill-batches" sources=1 ;;
    stage) opts="$common $stage $alert" sources=1 ;;
    load) opts="$common $load $alert --dry-run --backfill-batches" ;;
    validate) opts="$common $load $stage" sources=1 ;;
    backfill) opts="$common $stage $backfill $alert" sources=1 ;;
    report) opts="$common" ;;
    status) opts="$common --json" ;;
    check) opts="$common" ;;
    prune) opts="$common --keep" ;;
    serve) opts="$common $serve" ;;
    movies) opts="$common $movies" ;;
    generate) opts="$generate" ;;
    help)
      [[ $COMP_CWORD -eq $((i + 1)) ]] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
      return 0
      ;;
    *) return 0 ;;
  esac
  if [[ $cur == -* || -z $sources ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    # SOURCE: a .zip, a folder or a .csv here (s3:// and https:// URLs are typed).
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -F _marquee marquee
