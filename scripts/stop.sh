#!/usr/bin/env bash
# Stops the servers the scripts started under .data/ (never the machine's own).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -f .data/postgres/postmaster.pid ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
  as_owner=()
  [ "$(id -u)" = 0 ] && as_owner=(runuser -u postgres --)
  "${as_owner[@]}" "$bin/pg_ctl" -D .data/postgres stop -m fast
fi
if [ -f .data/versitygw.pid ] && kill -0 "$(cat .data/versitygw.pid)" 2>/dev/null; then
  kill "$(cat .data/versitygw.pid)" && rm -f .data/versitygw.pid
fi
