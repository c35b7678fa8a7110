# Shared by scripts/services/*.sh; source it, do not run it.

# apt_install PACKAGE... installs Debian packages without recommendations.
apt_install() {
  echo "installing $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends "$@" >&2
}

# free_port prints a TCP port nothing listens on at 127.0.0.1 right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ready NAME PID LOG COMMAND... runs COMMAND every 0.2 s for up to 30 s
# until it succeeds. If the server's process exits first, or the time runs
# out, it prints the end of LOG and exits the calling script with 1.
wait_ready() {
  local name=$1 pid=$2 log=$3
  shift 3
  for _ in $(seq 1 150); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited; see $log" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "$name did not answer in 30 s; see $log" >&2
  tail -n 20 "$log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}
