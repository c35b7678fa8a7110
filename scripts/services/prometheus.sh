#!/usr/bin/env bash
# Starts a throwaway Prometheus for the API's metrics integration test.
#
# Installs Debian's prometheus package when the binary is absent, then starts
# it on a free 127.0.0.1 port, scraping every second a target address that
# nothing listens on yet: the test starts `tickerlake up` there. It loads
# tickerlake's rules, so the dashboards' recorded series exist. Data and log
# live under $TICKERLAKE_TEST_RUN/prometheus. Prints
# TICKERLAKE_TEST_PROMETHEUS_URL, TICKERLAKE_TEST_PROMETHEUS_TARGET and PID.
set -euo pipefail
. "$(dirname "$0")/../lib/services.sh"
run=${TICKERLAKE_TEST_RUN:?TICKERLAKE_TEST_RUN is not set}
rules="$(cd "$(dirname "$0")/../.." && pwd)/k8s/monitoring/rules/tickerlake.rules.yml"

if ! command -v prometheus >/dev/null 2>&1; then
  apt_install prometheus
fi

port=$(free_port)
target=$(free_port)
dir="$run/prometheus"
rm -rf "$dir"
mkdir -p "$dir/data"
cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: tickerlake
    static_configs:
      - targets: ["127.0.0.1:$target"]
YAML
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
pid=$!
wait_ready prometheus "$pid" "$dir/prometheus.log" curl -fsS "http://127.0.0.1:$port/-/ready"
echo "TICKERLAKE_TEST_PROMETHEUS_URL=http://127.0.0.1:$port"
echo "TICKERLAKE_TEST_PROMETHEUS_TARGET=127.0.0.1:$target"
echo "PID=$pid"
