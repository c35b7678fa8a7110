#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the SQL sink's integration tests.
#
# Installs Debian's postgresql package when no server binaries are present,
# initialises a cluster under $TICKERLAKE_TEST_RUN/postgres (as the postgres
# user when running as root: the server refuses to run as root), starts it on
# 127.0.0.1 on a free port and creates the database tickerlake. Prints
# TICKERLAKE_TEST_PG_DSN=... and PID=<postmaster pid>.
set -euo pipefail
. "$(dirname "$0")/../lib/services.sh"
run=${TICKERLAKE_TEST_RUN:?TICKERLAKE_TEST_RUN is not set}

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

bin=$(bindir || true)
if [ -z "$bin" ]; then
  apt_install postgresql
  bin=$(bindir)
fi

dir="$run/postgres"
rm -rf "$dir"
mkdir -p "$dir"
as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
  chown postgres "$dir"
  # Every parent must be searchable by the server's user.
  p="$dir"
  while [ "$p" != / ]; do p=$(dirname "$p"); chmod o+x "$p" 2>/dev/null || true; done
  as=(runuser -u postgres --)
fi

port=$(free_port)
"${as[@]}" "$bin/initdb" -D "$dir/data" -U tickerlake --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
"${as[@]}" "$bin/pg_ctl" -s -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=50" \
  start >&2
pid=$(head -n1 "$dir/data/postmaster.pid")
"${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U tickerlake tickerlake >&2

echo "TICKERLAKE_TEST_PG_DSN=postgres://tickerlake@127.0.0.1:$port/tickerlake?sslmode=disable"
echo "PID=$pid"
