#!/usr/bin/env bash
# Benchmarks of the warehouse sinks against real servers: starts PostgreSQL
# and InfluxDB as scripts/test.sh does, then runs the sink benchmarks
# (rows/s into PostgreSQL through COPY and upserts, points/s into InfluxDB,
# each beside the bare client library doing the same work).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export TICKERLAKE_TEST_RUN="$root/.tools/run-bench"
rm -rf "$TICKERLAKE_TEST_RUN" && mkdir -p "$TICKERLAKE_TEST_RUN"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
for svc in postgres influxdb; do
  out=$(bash "scripts/services/$svc.sh")
  while IFS= read -r line; do
    case "$line" in
      PID=*) pids+=("${line#PID=}") ;;
      *=*) export "${line?}" ;;
    esac
  done <<< "$out"
done
go test -run '^$' -bench . -benchtime "${BENCHTIME:-20x}" "$@" ./sink/sqlsink/ ./sink/influx/
