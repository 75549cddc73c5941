#!/usr/bin/env bash
# Runs the official socket.io-client (scripts/socketio, pinned by its lock
# file) against a real Vigil. scripts/test.sh calls it after the Go tests;
# it needs VIGIL_TEST_DATABASE_URL, which that script exports, and Node 20
# with npm on PATH.
#
# It builds bin/vigil, creates a throwaway database beside the test one and
# migrates it, then runs `node --test`: the tests start Vigil themselves on
# a free loopback port (VIGIL_LISTEN_HOST=127.0.0.1), because one of them
# stops and restarts it. On exit the database is dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
say() { echo "socketio: $*" >&2; }

: "${VIGIL_TEST_DATABASE_URL:?set by scripts/test.sh}"
command -v node >/dev/null && command -v npm >/dev/null || {
  say "node and npm are required (Node 20 or newer)"
  exit 1
}

if [ ! -d scripts/socketio/node_modules ]; then
  say "installing the pinned npm packages (npm ci)"
  (cd scripts/socketio && npm ci --no-audit --no-fund >&2)
fi

with_db() { # URL DB -> URL with its path replaced by /DB
  local base="${1%%\?*}" query=""
  [[ "$1" == *\?* ]] && query="?${1#*\?}"
  echo "${base%/*}/$2$query"
}

db="vigil_socketio_$$_$(date +%s)"
admin_url=$(with_db "$VIGIL_TEST_DATABASE_URL" postgres)
db_url=$(with_db "$VIGIL_TEST_DATABASE_URL" "$db")
work=$(mktemp -d)

cleanup() {
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT

make --no-print-directory build >&2
bin=$PWD/bin/vigil
psql "$admin_url" -qc "CREATE DATABASE \"$db\"" >&2

port=$(node -e 'const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
(cd "$work" && env -i PATH="$PATH" HOME="$work" VIGIL_ENV=production DATABASE_URL="$db_url" \
  BETTER_AUTH_SECRET="$secret" BETTER_AUTH_BASE_URL="http://127.0.0.1:$port" \
  "$bin" migrate up) >&2

say "socket.io-client against vigil on 127.0.0.1:$port, database $db"
status=0
(cd scripts/socketio && VIGIL_SIO_BIN="$bin" VIGIL_SIO_WORKDIR="$work" \
  VIGIL_SIO_PORT="$port" VIGIL_SIO_DATABASE_URL="$db_url" VIGIL_SIO_SECRET="$secret" \
  node --test --test-reporter=tap) || status=$?
if [ "$status" != 0 ] && [ -f "$work/vigil.log" ]; then
  say "vigil's log:"
  cat "$work/vigil.log" >&2
fi
exit "$status"
