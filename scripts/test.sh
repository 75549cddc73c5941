#!/usr/bin/env bash
# `make test`: start the services the suite needs, then run every test with
# the race detector. CI (.ci/run) calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

VIGIL_TEST_DATABASE_URL=$(scripts/postgres.sh postgres)
export VIGIL_TEST_DATABASE_URL

go vet ./...
go test -race -count=1 -timeout 15m ./...
