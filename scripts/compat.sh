#!/usr/bin/env bash
# Runs the real better-auth library (scripts/compat, pinned by its lock file)
# against a real Vigil and the database they share. scripts/test.sh calls it
# after the Go tests; it needs VIGIL_TEST_DATABASE_URL, which that script
# exports, and Node 20 with npm on PATH.
#
# It builds bin/vigil, creates a throwaway database beside the test one,
# migrates it, serves Vigil on a free port that the tests reach on
# 127.0.0.1, runs `node --test`, and on exit stops Vigil and drops the
# database. Vigil has no listen-address setting, so for that while it also
# listens on the machine's other interfaces (with a random secret).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
say() { echo "compat: $*" >&2; }

: "${VIGIL_TEST_DATABASE_URL:?set by scripts/test.sh}"
command -v node >/dev/null && command -v npm >/dev/null || {
  say "node and npm are required (Node 20 or newer)"
  exit 1
}

if [ ! -d scripts/compat/node_modules ]; then
  say "installing the pinned npm packages (npm ci)"
  (cd scripts/compat && npm ci --no-audit --no-fund >&2)
fi

with_db() { # URL DB -> URL with its path replaced by /DB
  local base="${1%%\?*}" query=""
  [[ "$1" == *\?* ]] && query="?${1#*\?}"
  echo "${base%/*}/$2$query"
}

db="vigil_compat_$$_$(date +%s)"
admin_url=$(with_db "$VIGIL_TEST_DATABASE_URL" postgres)
db_url=$(with_db "$VIGIL_TEST_DATABASE_URL" "$db")
work=$(mktemp -d)
vigil_pid=""

cleanup() {
  if [ -n "$vigil_pid" ]; then
    kill "$vigil_pid" 2>/dev/null && wait "$vigil_pid" 2>/dev/null || true
  fi
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT

make --no-print-directory build >&2
psql "$admin_url" -qc "CREATE DATABASE \"$db\"" >&2

port=$(node -e 'const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base_url="http://127.0.0.1:$port"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# Vigil runs in an empty directory so that no .env of the developer's leaks
# into it; everything it needs comes from the environment below.
vigil_env=(env -i PATH="$PATH" HOME="$work"
  VIGIL_ENV=production LOG_LEVEL=warn PORT="$port" VIGIL_LISTEN_HOST=127.0.0.1 DATABASE_URL="$db_url"
  BETTER_AUTH_SECRET="$secret" BETTER_AUTH_BASE_URL="$base_url"
  AUTH_RATE_LIMIT_MAX=10000)
bin=$PWD/bin/vigil
(cd "$work" && "${vigil_env[@]}" "$bin" migrate up) >&2
(cd "$work" && exec "${vigil_env[@]}" "$bin" serve) 2>"$work/vigil.log" &
vigil_pid=$!

for _ in $(seq 1 100); do
  curl -fsS "$base_url/healthz" >/dev/null 2>&1 && break
  kill -0 "$vigil_pid" 2>/dev/null || { cat "$work/vigil.log" >&2; say "vigil exited"; exit 1; }
  sleep 0.1
done
curl -fsS "$base_url/healthz" >/dev/null || { say "vigil did not answer on $base_url"; exit 1; }

say "better-auth against vigil on $base_url, database $db"
status=0
(cd scripts/compat && VIGIL_COMPAT_URL="$base_url" VIGIL_COMPAT_DATABASE_URL="$db_url" \
  BETTER_AUTH_SECRET="$secret" node --test --test-reporter=tap) || status=$?
if [ "$status" != 0 ]; then
  say "vigil's log:"
  cat "$work/vigil.log" >&2
fi
exit "$status"
