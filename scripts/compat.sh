#!/usr/bin/env bash
# Runs the real better-auth library (scripts/compat, pinned by its lock file)
# against a real Vigil and the database they share. scripts/test.sh calls it
# after the Go tests; it needs VIGIL_TEST_DATABASE_URL, which that script
# exports, and Node 20 with npm on PATH.
#
# It builds bin/vigil, creates a throwaway database beside the test one,
# migrates it, serves Vigil on a free port that the tests reach on
# 127.0.0.1 only, runs `node --test`, and on exit stops Vigil and drops the
# database.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
suite=compat
. scripts/suite-common.sh
vigil_pid=""
on_exit() {
  if [ -n "$vigil_pid" ]; then
    kill "$vigil_pid" 2>/dev/null && wait "$vigil_pid" 2>/dev/null || true
  fi
}

base_url="http://127.0.0.1:$port"
# Vigil runs in an empty directory so that no .env of the developer's leaks
# into it; everything it needs comes from the environment below.
vigil_env=(env -i PATH="$PATH" HOME="$work"
  VIGIL_ENV=production LOG_LEVEL=warn PORT="$port" VIGIL_LISTEN_HOST=127.0.0.1 DATABASE_URL="$db_url"
  BETTER_AUTH_SECRET="$secret" BETTER_AUTH_BASE_URL="$base_url"
  AUTH_RATE_LIMIT_MAX=10000)
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
