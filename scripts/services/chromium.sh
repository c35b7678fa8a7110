#!/usr/bin/env bash
# Debian's chromium for the web app's end-to-end tests (playwright-core
# drives it; no browser is ever downloaded). Not a server: it only installs
# the browser once and tells the tests where it is.
set -euo pipefail
. "$(dirname "$0")/../lib/services.sh"
bin=/usr/bin/chromium
if [ ! -x "$bin" ]; then
  apt_install chromium fonts-liberation
fi
"$bin" --version >&2
echo "TICKERLAKE_TEST_CHROMIUM=$bin"
