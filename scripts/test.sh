#!/usr/bin/env bash
# `make test`: start the services the suite needs, then run every test with
# the race detector. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

# The committed OpenAPI document must be what the annotations produce.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  make --no-print-directory swagger >/dev/null
  if [ -n "$(git status --porcelain swagger/)" ]; then
    echo "test: swagger/ is stale; run make swagger and commit it:" >&2
    git status --porcelain swagger/ >&2
    exit 1
  fi
fi

VIGIL_TEST_DATABASE_URL=$(scripts/postgres.sh postgres)
export VIGIL_TEST_DATABASE_URL

# Storage tests run against a real S3 server: versitygw on loopback.
storage=$(scripts/versitygw.sh)
eval "$storage"
export VIGIL_TEST_S3_ENDPOINT="$MINIO_ENDPOINT:$MINIO_PORT"
export VIGIL_TEST_S3_ACCESS_KEY="$MINIO_ACCESS_KEY" VIGIL_TEST_S3_SECRET_KEY="$MINIO_SECRET_KEY"
unset MINIO_ENDPOINT MINIO_PORT MINIO_USE_SSL MINIO_ACCESS_KEY MINIO_SECRET_KEY

# The admin dashboard is tested in a real headless Chromium.
if ! command -v chromium >/dev/null; then
  echo "test: installing chromium (Debian package)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi

# A service the suite needs that is missing fails its tests instead of
# skipping them.
export VIGIL_TEST_STRICT=1

go vet ./...
go test -race -count=1 -timeout 15m ./...

# The account layer against the real better-auth npm package (pinned in
# scripts/compat/package-lock.json, installed on first run).
scripts/compat.sh

# Socket.IO against the official socket.io-client (pinned in
# scripts/socketio/package-lock.json, installed on first run).
scripts/socketio.sh
