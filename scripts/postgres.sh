#!/usr/bin/env bash
# Prints a Postgres connection string that answers, starting a server when
# none does. Messages go to stderr; only the URL goes to stdout.
#
#   1. $DATABASE_URL, when it answers;
#   2. the machine's Postgres on 127.0.0.1:5432 (trust auth);
#   3. a throwaway cluster under .data/postgres on 127.0.0.1:55432, made with
#      the system's initdb/pg_ctl (Debian's postgresql is installed if absent).
#
# The database named by $1 (default: vigil) is created when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:-vigil}"
say() { echo "postgres: $*" >&2; }

answers() { pg_isready -q -d "$1" -t 3 2>/dev/null; }

ensure_client() {
  command -v pg_isready >/dev/null && command -v psql >/dev/null && return
  say "installing postgresql-client"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >&2
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  return 1
}

with_db() { # URL DB -> URL with its path replaced by /DB
  local base="${1%%\?*}" query=""
  [[ "$1" == *\?* ]] && query="?${1#*\?}"
  echo "${base%/*}/$2$query"
}

create_db() { # ADMIN_URL DB
  local exists
  exists=$(psql "$1" -tAc "SELECT 1 FROM pg_database WHERE datname = '$2'")
  [ "$exists" = 1 ] || psql "$1" -qc "CREATE DATABASE \"$2\"" >&2
}

ensure_client

if [ -n "${DATABASE_URL:-}" ] && answers "$DATABASE_URL"; then
  # pg_isready checks the server, not the database: create that if missing.
  if ! psql "$DATABASE_URL" -qtAc 'SELECT 1' >/dev/null 2>&1 && [[ "$DATABASE_URL" == postgres*://* ]]; then
    name="${DATABASE_URL%%\?*}"
    name="${name##*/}"
    say "creating database $name"
    create_db "$(with_db "$DATABASE_URL" postgres)" "$name"
  fi
  echo "$DATABASE_URL"
  exit 0
fi

system="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
if answers "$system"; then
  create_db "$system" "$db"
  with_db "$system" "$db"
  exit 0
fi

# No server: run our own cluster. initdb and pg_ctl refuse to run as root,
# so as root the cluster belongs to the postgres system user.
bin=$(pg_bin) || {
  say "installing postgresql (Debian package)"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(pg_bin)
}
data="$PWD/.data/postgres"
port=55432
as_owner=()
if [ "$(id -u)" = 0 ]; then
  as_owner=(runuser -u postgres --)
fi
mkdir -p "$data"
[ "$(id -u)" = 0 ] && chown postgres "$data" && chmod 700 "$data"
if [ ! -f "$data/PG_VERSION" ]; then
  say "creating a throwaway cluster in $data"
  "${as_owner[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >&2
fi
local_url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
if ! answers "$local_url"; then
  say "starting it on 127.0.0.1:$port"
  "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >&2
fi
create_db "$local_url" "$db"
with_db "$local_url" "$db"
