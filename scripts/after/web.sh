#!/usr/bin/env bash
# The web app's checks, run by scripts/test.sh after `go test`: the typed
# client matches the API's OpenAPI document, the unit tests (Vitest), a
# production build, then the end-to-end tests: playwright-core drives
# Debian's chromium against a real `tickerlake up` built with the app
# embedded. Screenshots land in web/artifacts/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if ! command -v npm >/dev/null; then
  if [ "${CI:-}" = "true" ]; then echo "web: npm is required under CI" >&2; exit 1; fi
  echo "web: npm not installed, skipping the web app's tests" >&2
  exit 0
fi
if [ -z "${TICKERLAKE_TEST_CHROMIUM:-}" ]; then
  eval "$(bash scripts/services/chromium.sh | grep '^TICKERLAKE_TEST_CHROMIUM=')" || true
fi

cd web
npm ci --no-audit --no-fund
echo "== web: client matches the API document"
npm run --silent api:check
echo "== web: unit tests"
npm test
echo "== web: build"
npm run build
cd "$root"

mkdir -p .tools
CGO_ENABLED=1 go build -o .tools/tickerlake-e2e ./cmd/tickerlake
echo "== web: end-to-end"
TICKERLAKE_BIN="$root/.tools/tickerlake-e2e" TICKERLAKE_TEST_CHROMIUM="${TICKERLAKE_TEST_CHROMIUM:-}" \
  node --test --test-reporter=spec web/e2e/
