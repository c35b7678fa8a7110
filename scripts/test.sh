#!/usr/bin/env bash
# The whole test suite: what the README's test command and CI run.
#
# Each scripts/services/<name>.sh installs (once, into .tools/ or through the
# system package manager) and starts one server the integration tests need,
# then exports the environment variables those tests read. Locally a service
# that cannot be set up is skipped with a message and its tests skip; with
# CI=true every service must start, and tests never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CGO_ENABLED=1
mkdir -p .tools
export TICKERLAKE_TEST_RUN="$root/.tools/run"
rm -rf "$TICKERLAKE_TEST_RUN" && mkdir -p "$TICKERLAKE_TEST_RUN"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

for svc in scripts/services/*.sh; do
  [ -e "$svc" ] || continue
  name=$(basename "$svc" .sh)
  echo "== service $name"
  # A service script prints KEY=VALUE lines to export and PID=<pid> lines to stop at exit.
  if out=$(bash "$svc"); then
    while IFS= read -r line; do
      case "$line" in
        PID=*) pids+=("${line#PID=}") ;;
        *=*) export "${line?}" ;;
      esac
    done <<< "$out"
  elif [ "${CI:-}" = "true" ]; then
    echo "service $name failed to start under CI" >&2
    exit 1
  else
    echo "service $name unavailable: its integration tests will skip" >&2
  fi
done

echo "== go vet"
go vet ./...
# The live SQL Server test runs only with -tags mssql; vet keeps it compiling.
go vet -tags mssql ./sink/sqlsink/
echo "== go test"
# Packages with shared state (caches, pools, concurrent encoders, consumers)
# run under the race detector; with a warm build cache that adds about five
# minutes, most of it ./lake/'s own tests.
race=$(go list ./market/... ./serve/... ./lake/... ./stream/... ./ingest/... ./transform/... ./metrics/... ./sink/...)
go test -count=1 -timeout 45m "$@" $(go list ./... | grep -vxF "$race")
echo "== go test -race"
go test -race -count=1 -timeout 45m "$@" $race

for t in scripts/after/*.sh; do
  [ -e "$t" ] || continue
  echo "== $(basename "$t" .sh)"
  bash "$t"
done
