#!/usr/bin/env bash
# Prints the MINIO_* settings of a local S3-compatible server, starting one
# when none runs: versitygw with its posix backend under .data/versitygw,
# listening on loopback only. Messages go to stderr; only KEY=value lines go
# to stdout, so callers can `eval "$(scripts/versitygw.sh)"`.
#
# The dev keys are made once, kept in .data/versitygw.keys and printed when
# they are made. VIGIL_S3_PORT picks the port (default 7070). versitygw is
# installed with `go install` when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

version=v1.8.0
port="${VIGIL_S3_PORT:-7070}"
data="$PWD/.data/versitygw"
keys="$PWD/.data/versitygw.keys"
pidfile="$PWD/.data/versitygw.pid"
logfile="$PWD/.data/versitygw.log"
say() { echo "versitygw: $*" >&2; }

# answers: something speaks HTTP on the port (S3 answers / with 403).
answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; }

ours_running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

ensure_binary() {
  command -v versitygw >/dev/null && return
  say "installing versitygw $version (go install)"
  go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
}

ensure_keys() {
  [ -f "$keys" ] && return
  mkdir -p "$(dirname "$keys")"
  (
    umask 077
    echo "access=vigil-dev-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    echo "secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  ) > "$keys"
  say "made dev keys (kept in $keys):"
  sed 's/^/versitygw:   /' "$keys" >&2
}

start() {
  mkdir -p "$data"
  say "starting on 127.0.0.1:$port (posix backend in $data, log $logfile)"
  # Browsers upload straight to storage from the admin page, so CORS is
  # open; this is a loopback development server only.
  ROOT_ACCESS_KEY="$access" ROOT_SECRET_KEY="$secret" nohup versitygw \
    --port "127.0.0.1:$port" --cors-allow-origin '*' --quiet \
    posix "$data" >"$logfile" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 50); do
    answers && return
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.1
  done
  say "did not start; last lines of $logfile:"
  tail -n 5 "$logfile" >&2
  exit 1
}

ensure_keys
access=$(sed -n 's/^access=//p' "$keys")
secret=$(sed -n 's/^secret=//p' "$keys")

if ! ours_running; then
  if answers; then
    say "port $port is taken by a server this script did not start; set VIGIL_S3_PORT to another port, or MINIO_ENDPOINT/MINIO_PORT/MINIO_ACCESS_KEY/MINIO_SECRET_KEY to use that server"
    exit 1
  fi
  ensure_binary
  start
fi

echo "MINIO_ENDPOINT=127.0.0.1"
echo "MINIO_PORT=$port"
echo "MINIO_USE_SSL=false"
echo "MINIO_ACCESS_KEY=$access"
echo "MINIO_SECRET_KEY=$secret"
