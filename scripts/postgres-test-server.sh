#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL cluster on loopback for the tests, from Debian's
# postgresql package. Prints the database URL on standard output.
#
#   scripts/postgres-test-server.sh start [DIR] [PORT]   # default /tmp/tmws-postgres, 54329
#   scripts/postgres-test-server.sh stop  [DIR]
#
# The cluster is owned by an unprivileged user (initdb refuses root): the `postgres` user when run
# as root, else the caller. Password authentication (SCRAM) on 127.0.0.1 only; the URL names the
# user `tmws`, password `tmws-test`, database `tmws`.
set -euo pipefail
action=${1:-start}
dir=${2:-/tmp/tmws-postgres}
port=${3:-54329}
password=tmws-test

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
    echo "PostgreSQL server binaries not found: apt-get install -y postgresql" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home "$owner"
    as_owner() { runuser -u "$owner" -- "$@"; }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi

case "$action" in
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2; fi
    exit 0
    ;;
start) ;;
*)
    echo "usage: $0 start|stop [DIR] [PORT]" >&2
    exit 2
    ;;
esac

if [ ! -f "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir"
    chown "$owner" "$dir"
    printf '%s\n' "$password" >"$dir/pwfile"
    chown "$owner" "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U tmws --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    # fsync stays on: the crash and race tests rely on what PostgreSQL acknowledges.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300" start >&2 ||
        { cat "$dir/server.log" >&2; exit 1; }
fi
if ! as_owner "$bin/psql" -h "$dir" -p "$port" -U tmws -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'tmws'" | grep -q 1; then
    as_owner "$bin/createdb" -h "$dir" -p "$port" -U tmws tmws
fi
echo "postgres://tmws:$password@127.0.0.1:$port/tmws?sslmode=disable"
