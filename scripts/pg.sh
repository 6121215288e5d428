# Sourced by test.sh and the benchmarks: a throwaway PostgreSQL cluster on a free loopback port.
#   marquee_pg_start DIR   initdb into DIR/pg, start it, export MARQUEE_TEST_PG
#   marquee_pg_stop DIR    stop it (the caller removes DIR)

marquee_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

marquee_pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

marquee_as_postgres() {
  # initdb refuses to run as root; sessions and CI are root, so run the server as postgres.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

marquee_pg_start() {
  local dir="$1" bin port
  bin=$(marquee_pg_bin)
  port=$(marquee_free_port)
  mkdir -p "$dir/pg"
  chmod 755 "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pg"
  marquee_as_postgres "$bin/initdb" -D "$dir/pg" -A trust -U postgres >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; echo "initdb failed" >&2; return 1; }
  marquee_as_postgres "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir/pg -c fsync=off -c max_connections=200" start >/dev/null ||
    { cat "$dir/pg/server.log" >&2; echo "PostgreSQL did not start" >&2; return 1; }
  export MARQUEE_TEST_PG="postgresql://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

marquee_pg_stop() {
  local dir="$1"
  [ -f "$dir/pg/postmaster.pid" ] &&
    marquee_as_postgres "$(marquee_pg_bin)/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1
  return 0
}
