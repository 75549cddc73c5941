#!/usr/bin/env bash
# `make run`: start what Vigil needs locally, migrate, and serve on :3000.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

if [ ! -f .env ]; then
  secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  admin_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  # A PORT given on the first run goes into .env, and the base URL names
  # it, rather than the example's 3000.
  port=3000
  case "${PORT:-}" in '' | *[!0-9]*) ;; *) port=$PORT ;; esac
  sed -e "s/^BETTER_AUTH_SECRET=.*/BETTER_AUTH_SECRET=$secret/" \
      -e "s/^PORT=.*/PORT=$port/" \
      -e "s#^BETTER_AUTH_BASE_URL=.*#BETTER_AUTH_BASE_URL=http://localhost:$port#" \
      -e "s/^VIGIL_ENV=.*/VIGIL_ENV=development/" \
      -e "s/^ADMIN_USERNAME=.*/ADMIN_USERNAME=admin/" \
      -e "s/^ADMIN_PASSWORD=.*/ADMIN_PASSWORD=$admin_password/" .env.example > .env
  echo "run: wrote .env from .env.example with a fresh BETTER_AUTH_SECRET" >&2
  echo "run: the dashboard at /admin takes user admin, password $admin_password (kept in .env)" >&2
fi
load_dotenv .env

# No storage configured: run a local S3 server (versitygw) for development.
if [ -z "${MINIO_ENDPOINT:-}" ]; then
  storage=$(scripts/versitygw.sh)
  set -a; eval "$storage"; set +a
fi
if [ -z "${ADMIN_USERNAME:-}" ]; then
  echo "run: the /admin dashboard is off; set ADMIN_USERNAME and ADMIN_PASSWORD in .env" >&2
fi

DATABASE_URL=$(scripts/postgres.sh vigil)
export DATABASE_URL

make --no-print-directory build
bin/vigil migrate up
exec bin/vigil serve
