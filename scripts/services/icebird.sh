#!/usr/bin/env bash
# icebird, a JavaScript Iceberg reader independent of iceberg-go, for the
# test that reads every Iceberg table of a lake with it
# (lake/tables/icebird_test.go). Not a server: it installs the pinned npm
# packages of scripts/icebird once (npm ci into scripts/icebird/node_modules,
# again only when its package-lock.json changes) and tells the tests where
# node and the reader are. Needs Node 20.6 or later and npm; without them it
# fails, and the test skips (or fails, under CI=true). Prints
# TICKERLAKE_TEST_ICEBIRD and TICKERLAKE_TEST_NODE.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../icebird" && pwd)"

if ! node=$(command -v node); then
  echo "icebird: node is not installed (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
# read.mjs puts its module hooks in place with module.register (Node 20.6).
if ! "$node" -e 'process.exit(typeof require("node:module").register === "function" ? 0 : 1)'; then
  echo "icebird: node $("$node" --version) is too old: the reader needs 20.6 or later" >&2
  exit 1
fi
stamp="$dir/node_modules/.tickerlake-package-lock.json"
if ! cmp -s "$dir/package-lock.json" "$stamp"; then
  if ! command -v npm >/dev/null; then
    echo "icebird: npm is not installed (Debian: apt-get install npm)" >&2
    exit 1
  fi
  echo "installing icebird into $dir/node_modules" >&2
  (cd "$dir" && npm ci --no-audit --no-fund >&2)
  cp "$dir/package-lock.json" "$stamp"
fi
"$node" "$dir/read.mjs" --version >&2
echo "TICKERLAKE_TEST_ICEBIRD=$dir/read.mjs"
echo "TICKERLAKE_TEST_NODE=$node"
