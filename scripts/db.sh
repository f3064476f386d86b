#!/usr/bin/env bash
# A PostgreSQL + PostGIS cluster of the project's own, in a directory it names (no system service):
#   scripts/db.sh start <dir> <port>   initdb on first use, listen on 127.0.0.1:<port> only,
#                                      create database "meshmap" with PostGIS
#   scripts/db.sh standby <primary port> <dir> <port>   a hot standby of that cluster (a read
#                                      replica streaming from it), on 127.0.0.1:<port>
#   scripts/db.sh stop <dir>
# initdb refuses to run as root, so as root the cluster runs as the `postgres` user; <dir> should
# then be somewhere that user can reach (tests use a directory under /tmp).
# Local clusters trust loopback connections (a throwaway, development-only setting).
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
# runuser lives in /usr/sbin, which a non-login root shell (CI) may not have on PATH.
runuser=$(command -v runuser || echo /usr/sbin/runuser)
as_pg() { if [ "$(id -u)" -eq 0 ]; then "$runuser" -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    port=$3
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; chmod 700 "$dir"; fi
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir" -U postgres -A trust --no-instructions >/dev/null
    fi
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    # A server that started but could not be made ready (PostGIS missing...) is stopped again:
    # the caller gets an error, not a server it does not know it has to stop.
    trap 'as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true' EXIT
    psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA)
    if [ -z "$("${psql[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'meshmap'")" ]; then
      "${psql[@]}" -d postgres -c "CREATE DATABASE meshmap"
    fi
    "${psql[@]}" -d meshmap -c "CREATE EXTENSION IF NOT EXISTS postgis"
    trap - EXIT
    ;;
  standby)
    primary=$2 dir=$3 port=$4
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; chmod 700 "$dir"; fi
    # A fast checkpoint: the default spreads it over minutes.
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir" -R -X stream -c fast >/dev/null
    as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: $0 start <dir> <port> | standby <primary port> <dir> <port> | stop <dir>" >&2; exit 2 ;;
esac
