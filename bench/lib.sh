# bench/lib.sh — what every benchmark needs; sourced by bench/*.sh, not run.
#
#   bench_bindir              BINDIR: the PostgreSQL server binaries (exit 2 when missing)
#   bench_app_sql             APP_SQL: the `app` generator, by default the project's own
#                             pra-testkit/sql/app.sql (exit 2 when missing)
#   bench_workdir NAME        WORK: a temporary directory removed on exit (with the server
#                             in it stopped); AS: the prefix that runs a command as the
#                             postgres user when we are root (the server refuses root)
#   bench_cluster [SETTING]…  a private server in $WORK/data on a socket in $WORK/sock,
#                             each SETTING passed as `-c SETTING`; exports PGHOST, PGPORT,
#                             PGUSER, PGDATABASE=app; puts BINDIR first on PATH
#   bench_load_app SCALE      database `app` from $APP_SQL at SCALE; sets DBSIZE and LOAD_S
#   bench_moto                a loopback S3 server (moto_server, http) on 127.0.0.1:$MOTO_PORT,
#                             answering when this returns, killed on exit; MOTO_PID
#   bench_wait_url URL LOG    waits (10 s at most) until URL answers; else shows LOG, exit 3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_bindir() {
  BINDIR=${PG_BINDIR:-$(pg_config --bindir 2>/dev/null || true)}
  if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
    BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  fi
  [ -x "$BINDIR/initdb" ] || { echo "bench: no PostgreSQL server binaries (initdb) found" >&2; exit 2; }
}

# APP_SQL=path uses another generator taking `-v scale=N` (it may need pgcrypto, which
# is created first), e.g. to compare with figures measured on it.
bench_app_sql() {
  APP_SQL=${APP_SQL:-$ROOT/pra-testkit/sql/app.sql}
  [ -f "$APP_SQL" ] || { echo "bench: $APP_SQL not found (APP_SQL names the app generator)" >&2; exit 2; }
}

bench_cleanup() {
  if [ -d "$WORK/data" ]; then
    "${AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}

bench_workdir() {
  WORK=$(mktemp -d "/tmp/pra-bench-$1.XXXXXX")
  AS=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$WORK"
    AS=(runuser -u postgres --)
  fi
  trap bench_cleanup EXIT INT TERM
}

bench_cluster() {
  PGDATA=$WORK/data
  SOCK=$WORK/sock
  mkdir -p "$SOCK"
  [ "$(id -u)" = 0 ] && chown postgres "$SOCK"
  PORT=$((20000 + RANDOM % 20000))
  local settings=""
  for s in "$@"; do settings+=" -c $s"; done
  echo "bench: starting a private cluster in $WORK" >&2
  "${AS[@]}" "$BINDIR/initdb" -D "$PGDATA" -U postgres -A trust --no-sync >/dev/null
  "${AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -l "$WORK/server.log" -w \
    -o "-k $SOCK -p $PORT -c listen_addresses=''$settings" start >/dev/null
  export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=app PGPASSFILE=/nonexistent
  unset PGPASSWORD PGSERVICE
  PATH=$BINDIR:$PATH
}

bench_load_app() {
  echo "bench: loading app at scale $1" >&2
  local t0
  t0=$(date +%s.%N)
  createdb app
  psql -X -q -v ON_ERROR_STOP=1 -d app -c 'create extension if not exists pgcrypto' >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -d app -v scale="$1" -f "$APP_SQL" >/dev/null
  psql -X -q -d app -c 'checkpoint' >/dev/null
  LOAD_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  DBSIZE=$(psql -X -A -t -d app -c "select pg_database_size('app')")
  echo "bench: loaded in $LOAD_S s, database $((DBSIZE / 1048576)) MiB" >&2
}

bench_moto() {
  command -v moto_server >/dev/null || { echo "bench: moto_server missing (python3 -m pip install 'moto[server]')" >&2; exit 2; }
  MOTO_PORT=$((40000 + RANDOM % 20000))
  moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
  MOTO_PID=$!
  trap 'kill "$MOTO_PID" 2>/dev/null || true; bench_cleanup' EXIT INT TERM
  bench_wait_url "http://127.0.0.1:$MOTO_PORT/" "$WORK/moto.log"
}

bench_wait_url() {
  for _ in $(seq 100); do
    curl -sk -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench: nothing answers at $1; $2 says:" >&2
  tail -20 "$2" >&2
  exit 3
}
