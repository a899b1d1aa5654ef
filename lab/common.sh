#!/usr/bin/env bash
# Shared by the lab scripts: where the scratch servers live, and how to find a free port.
# The lab directory is outside the work tree so a `git clean` never races a running server.
set -euo pipefail

LAB_DIR="${SLEUTH_LAB_DIR:-/tmp/sleuth-lab}"
LAB_ENV="$LAB_DIR/lab.env"
LAB_PASSWORD="${SLEUTH_LAB_PASSWORD:-sleuth-lab-pw}"
LAB_MONITOR_PASSWORD="${SLEUTH_LAB_MONITOR_PASSWORD:-sleuth-monitor-pw}"
LAB_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The servers refuse to run as root, so they run as this system account when we are root.
LAB_RUN_AS_PG="postgres"
LAB_RUN_AS_MY="mysql"

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# A port nothing listens on now, chosen by the kernel and checked on loopback only.
lab_free_port() {
  python3 - <<'PY'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PY
}

# Run a command as the service account when we are root (servers refuse root), as ourselves otherwise.
lab_as() {
  local user="$1"; shift
  if [ "$(id -u)" = "0" ]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

lab_chown() {
  local user="$1" path="$2"
  if [ "$(id -u)" = "0" ]; then chown -R "$user:" "$path"; fi
}

lab_wait_for() {
  # $1 = description, remaining = command that succeeds once the server answers
  local what="$1"; shift
  local i
  for i in $(seq 1 120); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  lab_die "$what did not come up within 30 s"
}
