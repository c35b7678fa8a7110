#!/usr/bin/env bash
# Debian's chromium for the web app's end-to-end tests (playwright-core
# drives it; no browser is ever downloaded). Not a server: it only installs
# the browser once and tells the tests where it is.
set -euo pipefail
bin=/usr/bin/chromium
if [ ! -x "$bin" ]; then
  echo "installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends chromium fonts-liberation >&2
fi
"$bin" --version >&2
echo "TICKERLAKE_TEST_CHROMIUM=$bin"
