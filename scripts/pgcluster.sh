#!/usr/bin/env bash
# The embedded default database: a private PostgreSQL + PostGIS cluster under var/pg, listening on
# 127.0.0.1:$PETA_PG_PORT (default 54329, never the system's 5432), run as an unprivileged OS user.
# Usage: scripts/pgcluster.sh start|stop|status
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

port=${PETA_PG_PORT:-54329}
dbname=${PETA_PG_DB:-peta_aduan}
# Paths are resolved through var/pg, which may be a symlink (see prepare_dirs).
set_paths() {
  pgdir=$(readlink -m "$top/var/pg")
  data="$pgdir/data"
  run="$pgdir/run"
  log="$pgdir/postgresql.log"
}
set_paths
v=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)
bin="/usr/lib/postgresql/$v/bin"

# PostgreSQL refuses to run as root: use a dedicated system user then.
if [ "$(id -u)" = 0 ]; then
  pguser=peta-pg
  id "$pguser" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser"
  as_pg() { (cd / && runuser -u "$pguser" -- "$@"); }
else
  pguser=$(id -un)
  as_pg() { "$@"; }
fi

prepare_dirs() {
  mkdir -p "$top/var"
  if [ ! -e "$top/var/pg" ]; then
    mkdir -p "$top/var/pg"
    # The cluster user must be able to reach var/pg; if a parent folder is private (e.g. under /root),
    # keep the files in a folder it can reach and link it from var/pg.
    if [ "$(id -u)" = 0 ] && ! as_pg test -x "$top/var/pg"; then
      rmdir "$top/var/pg"
      alt="/var/tmp/peta-aduan-$(printf '%s' "$top" | sha1sum | cut -c1-12)"
      mkdir -p "$alt"
      ln -s "$alt" "$top/var/pg"
    fi
  fi
  set_paths
  mkdir -p "$run"
  [ "$(id -u)" = 0 ] && chown -R "$pguser" "$pgdir" "$run"
  return 0
}

is_running() { [ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

start() {
  prepare_dirs
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "==> creating the private PostGIS cluster in var/pg (user $pguser, port $port)"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
fsync = on
CONF
  fi
  if ! is_running; then
    echo "==> starting PostgreSQL $v on 127.0.0.1:$port"
    as_pg "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
  fi
  for db in "$dbname" "${dbname}_test"; do
    if ! as_pg "$bin/psql" -h "$run" -p "$port" -U postgres -Atqc "select 1 from pg_database where datname='$db'" postgres | grep -q 1; then
      as_pg "$bin/createdb" -h "$run" -p "$port" -U postgres "$db"
    fi
  done
}

stop() {
  if is_running; then
    echo "==> stopping PostgreSQL (var/pg)"
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  else
    echo "PostgreSQL (var/pg) is not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if is_running; then echo "running on 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
