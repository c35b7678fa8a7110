#!/usr/bin/env bash
# Starts a throwaway Prometheus and Pushgateway for the metrics integration
# tests.
#
# Installs Debian's prometheus and prometheus-pushgateway packages when the
# binaries are absent, then starts both on free 127.0.0.1 ports. Prometheus
# scrapes every second a target address that nothing listens on yet (the
# test starts `tickerlake up` there) and the Pushgateway, with honor_labels
# as k8s/monitoring's ServiceMonitor does, where `tickerlake compact
# --pushgateway` leaves its metrics. It loads tickerlake's rules, so the
# dashboards' recorded series exist. Data and logs live under
# $TICKERLAKE_TEST_RUN/prometheus. Prints TICKERLAKE_TEST_PROMETHEUS_URL,
# TICKERLAKE_TEST_PROMETHEUS_TARGET, TICKERLAKE_TEST_PUSHGATEWAY_URL and a
# PID line for each.
set -euo pipefail
. "$(dirname "$0")/../lib/services.sh"
run=${TICKERLAKE_TEST_RUN:?TICKERLAKE_TEST_RUN is not set}
rules="$(cd "$(dirname "$0")/../.." && pwd)/k8s/monitoring/rules/tickerlake.rules.yml"

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
if ((${#missing[@]})); then
  apt_install "${missing[@]}"
fi

port=$(free_port)
target=$(free_port)
push=$(free_port)
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
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["127.0.0.1:$push"]
YAML
prometheus-pushgateway --web.listen-address="127.0.0.1:$push" >"$dir/pushgateway.log" 2>&1 &
pushpid=$!
wait_ready pushgateway "$pushpid" "$dir/pushgateway.log" curl -fsS "http://127.0.0.1:$push/-/ready"
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
  --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
pid=$!
wait_ready prometheus "$pid" "$dir/prometheus.log" curl -fsS "http://127.0.0.1:$port/-/ready"
echo "TICKERLAKE_TEST_PROMETHEUS_URL=http://127.0.0.1:$port"
echo "TICKERLAKE_TEST_PROMETHEUS_TARGET=127.0.0.1:$target"
echo "TICKERLAKE_TEST_PUSHGATEWAY_URL=http://127.0.0.1:$push"
echo "PID=$pid"
echo "PID=$pushpid"
