# Shared by the scripts that run a Node test suite against a real Vigil
# (compat.sh, socketio.sh). Source it after common.sh with $suite set to the
# suite's folder under scripts/; it checks Node, installs the pinned npm
# packages, and makes a throwaway database beside VIGIL_TEST_DATABASE_URL
# that is dropped on exit, with a work folder, a free port and a secret.

say() { echo "$suite: $*" >&2; }

: "${VIGIL_TEST_DATABASE_URL:?set by scripts/test.sh}"
command -v node >/dev/null && command -v npm >/dev/null || {
  say "node and npm are required (Node 20 or newer)"
  exit 1
}

if [ ! -d "scripts/$suite/node_modules" ]; then
  say "installing the pinned npm packages (npm ci)"
  (cd "scripts/$suite" && npm ci --no-audit --no-fund >&2)
fi

with_db() { # URL DB -> URL with its path replaced by /DB
  local base="${1%%\?*}" query=""
  [[ "$1" == *\?* ]] && query="?${1#*\?}"
  echo "${base%/*}/$2$query"
}

db="vigil_${suite}_$$_$(date +%s)"
admin_url=$(with_db "$VIGIL_TEST_DATABASE_URL" postgres)
db_url=$(with_db "$VIGIL_TEST_DATABASE_URL" "$db")
work=$(mktemp -d)
# on_exit runs before the database is dropped; a suite may redefine it.
on_exit() { :; }

cleanup() {
  on_exit
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
