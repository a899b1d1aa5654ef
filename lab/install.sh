#!/usr/bin/env bash
# Installs PostgreSQL 15 (with pg_stat_statements) and MariaDB from Debian's packages, only if missing,
# so a fresh CI machine gets the same servers a developer has without a second download on reruns.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

need=()
# pg_stat_statements ships inside postgresql-15 (postgresql-contrib-15 is only a virtual name for it).
if [ ! -x /usr/lib/postgresql/15/bin/postgres ] || [ ! -f /usr/share/postgresql/15/extension/pg_stat_statements.control ]; then
  need+=(postgresql-15)
fi
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client-core)  # the lab scripts' admin client

if [ "${#need[@]}" -eq 0 ]; then
  lab_log "servers already installed"
  exit 0
fi
[ "$(id -u)" = "0" ] || lab_die "need root to install ${need[*]} (apt-get)"
lab_log "installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# The packages' own services must not start: the lab runs its own instances in a scratch directory.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
if [ "$created_policy" = "1" ]; then rm -f "$policy"; fi
lab_log "installed"
