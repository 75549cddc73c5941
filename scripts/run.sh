#!/usr/bin/env bash
# `make run`: start what Vigil needs locally, migrate, and serve on :3000.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

if [ ! -f .env ]; then
  secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  sed -e "s/^BETTER_AUTH_SECRET=.*/BETTER_AUTH_SECRET=$secret/" \
      -e "s/^VIGIL_ENV=.*/VIGIL_ENV=development/" .env.example > .env
  echo "run: wrote .env from .env.example with a fresh BETTER_AUTH_SECRET" >&2
fi
set -a; . ./.env; set +a

DATABASE_URL=$(scripts/postgres.sh vigil)
export DATABASE_URL

go build -o bin/vigil ./cmd/vigil
bin/vigil migrate up
exec bin/vigil serve
