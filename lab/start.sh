#!/usr/bin/env bash
# Installs (if missing) and starts both lab servers, then prints their DSNs and writes them to
# $SLEUTH_LAB_DIR/lab.env (default /tmp/sleuth-lab/lab.env), which the live tests read.
# Safe to call again: running servers are reused.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"

"$here/install.sh"
mkdir -p "$LAB_DIR"
tmp="$(mktemp "$LAB_DIR/lab.env.XXXXXX")"
{
  "$here/pg.sh" start
  "$here/mariadb.sh" start
} >"$tmp"
mv "$tmp" "$LAB_ENV"
chmod 644 "$LAB_ENV"
cat "$LAB_ENV"
