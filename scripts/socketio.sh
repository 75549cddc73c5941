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
suite=socketio
. scripts/suite-common.sh

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
