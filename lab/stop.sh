#!/usr/bin/env bash
# Stops both lab servers; with --clean also removes their scratch data directories.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/common.sh"

action=stop
if [ "${1:-}" = "--clean" ]; then action=clean; fi
"$here/pg.sh" "$action"
"$here/mariadb.sh" "$action"
rm -f "$LAB_ENV"
