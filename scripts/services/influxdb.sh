#!/usr/bin/env bash
# Starts a throwaway InfluxDB 1.8.10 for the Influx sink's integration tests.
#
# Builds influxd once into .tools/ (about five minutes cold; Debian's 1.6 is
# too old for the v2 write API), writes a config under
# $TICKERLAKE_TEST_RUN/influxdb with the HTTP and RPC addresses on free
# 127.0.0.1 ports, starts it, and creates the database tickerlake (tests
# create their own scratch databases beside it). Prints
# TICKERLAKE_TEST_INFLUX_URL=... and PID=<influxd pid>.
set -euo pipefail
. "$(dirname "$0")/../lib/services.sh"
cd "$(dirname "$0")/../.."
root=$(pwd)
run=${TICKERLAKE_TEST_RUN:?TICKERLAKE_TEST_RUN is not set}
bin="$root/.tools/influxd"
if [ ! -x "$bin" ]; then
  echo "building influxd 1.8.10 into .tools (once)" >&2
  GOBIN="$root/.tools" go install -ldflags "-X main.version=1.8.10" github.com/influxdata/influxdb/cmd/influxd@v1.8.10 >&2
fi

http_port=$(free_port)
rpc_port=$(free_port)
while [ "$rpc_port" = "$http_port" ]; do rpc_port=$(free_port); done

dir="$run/influxdb"
rm -rf "$dir"
mkdir -p "$dir"
cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"

[meta]
  dir = "$dir/meta"

[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$http_port"
  log-enabled = false

[logging]
  level = "warn"

[monitor]
  store-enabled = false

[continuous_queries]
  enabled = false
CONF

"$bin" run -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$http_port"
wait_ready influxd "$pid" "$dir/influxd.log" curl -fs -o /dev/null "$url/ping"
curl -fsS -o /dev/null -XPOST "$url/query" --data-urlencode "q=CREATE DATABASE tickerlake" >&2

echo "TICKERLAKE_TEST_INFLUX_URL=$url"
echo "PID=$pid"
