#!/usr/bin/env bash
# The whole test suite: what the README's test command and CI run.
# Everything the tests need runs in-process (the kfake broker, DuckDB), so a
# machine with Go is enough. Integration tests that need an outside server
# skip locally when it is absent and never skip when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

export CGO_ENABLED=1
echo "== go vet"
go vet ./...
echo "== go test"
go test -count=1 -timeout 40m "$@" ./...
