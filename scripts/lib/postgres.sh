# shellcheck shell=bash
# A throwaway PostgreSQL cluster on a free loopback port. Source it, then:
#   pg_start_cluster            sets PG_DIR, PG_PORT, PG_PASSWORD, PG_BIN; starts the server
#   pg_url DATABASE             prints postgres://postgres:...@127.0.0.1:PORT/DATABASE
#   pg_create_database NAME
#   pg_stop / pg_start          stop and start the same cluster (for outage tests)
#   pg_destroy_cluster          stops it and deletes its directory
# As root the cluster runs as the `postgres` user, as initdb requires.

_pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start_cluster() {
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; return 1; }
  PG_DIR="$(mktemp -d /tmp/signaldesk-pg.XXXXXX)"
  PG_PORT="$(free_port)"
  PG_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  printf '%s\n' "$PG_PASSWORD" > "$PG_DIR/pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$PG_DIR"; fi
  _pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=scram-sha-256 --pwfile="$PG_DIR/pwfile" \
    -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  rm -f "$PG_DIR/pwfile"
  pg_start
}

# max_connections: the test suite runs its suites in parallel, each application with its own pool
# (up to 8 connections per event loop); with 93 suites the peak was 322 connections (measured
# 2026-12-03), past the 300 this had, and tests failed with "too many clients already".
pg_start() {
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=1000 ${PG_EXTRA_OPTS:--c fsync=off -c synchronous_commit=off}" \
    start >/dev/null || { tail -n 30 "$PG_DIR/server.log" >&2; return 1; }
}

pg_stop() {
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
}

pg_url() {
  printf 'postgres://postgres:%s@127.0.0.1:%s/%s' "$PG_PASSWORD" "$PG_PORT" "$1"
}

pg_create_database() {
  PGPASSWORD="$PG_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qAt \
    -c "CREATE DATABASE \"$1\"" >/dev/null
}

pg_destroy_cluster() {
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
