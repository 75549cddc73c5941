#!/usr/bin/env bash
# `make bench`: a short run of every `vigil bench` scenario against a freshly
# started server, then the generated section of docs/benchmarks.md and its
# plot (docs/bench-commands.png) are rewritten from the results, which are
# kept in docs/bench/. A few minutes on the 2-core machine.
#
# It finds or starts Postgres as `make test` does (scripts/postgres.sh),
# makes a throwaway database, and serves bin/vigil on loopback with
# /metrics on a second loopback port. Recording is off (no object storage),
# so the sfu figures are forwarding alone. BENCH_SHORT=1 shortens every run
# further, for checking the script itself.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
say() { echo "bench: $*" >&2; }

short=${BENCH_SHORT:-}
d() { if [ -n "$short" ]; then echo "$2"; else echo "$1"; fi; } # d LONG SHORT

admin_url=$(scripts/postgres.sh postgres)
db="vigil_bench_$$"
db_url="${admin_url%%\?*}"
db_url="${db_url%/*}/$db?sslmode=disable"
work=$(mktemp -d)
out="docs/bench"
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
bin=$PWD/bin/vigil
psql "$admin_url" -qc "CREATE DATABASE \"$db\"" >&2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
metrics_port=$(free_port)
debug_port=$(free_port)
base="http://127.0.0.1:$port"
metrics="http://127.0.0.1:$metrics_port/metrics"

# Limits a benchmark must not hit: sign-ins are rate-limited per address,
# and rooms hold 20 viewers by default.
(cd "$work" && exec env -i PATH="$PATH" HOME="$work" VIGIL_ENV=production LOG_LEVEL=warn \
  PORT="$port" VIGIL_LISTEN_HOST=127.0.0.1 VIGIL_METRICS_ADDR="127.0.0.1:$metrics_port" \
  VIGIL_DEBUG_ADDR="127.0.0.1:$debug_port" \
  DATABASE_URL="$db_url" VIGIL_AUTO_MIGRATE=true RECORDING_ENABLED=false \
  BETTER_AUTH_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  AUTH_RATE_LIMIT_MAX=100000 MEDIA_MAX_SUBSCRIBERS_PER_ROOM=100 MEDIA_ICE_IPS=127.0.0.1 \
  "$bin" serve) 2>"$work/vigil.log" &
vigil_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$vigil_pid" 2>/dev/null || { cat "$work/vigil.log" >&2; say "vigil exited"; exit 1; }
  sleep 0.1
done

machine="$(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg) when it started."
rm -rf "$out" && mkdir -p "$out"
n=0
bench() { # SCENARIO FLAGS...
  n=$((n + 1))
  local file
  file=$(printf '%s/%02d-%s.json' "$out" "$n" "$1")
  say "vigil bench $*"
  "$bin" bench "$@" -url "$base" -metrics "$metrics" -json "$file" -progress=false
}

# Connections first, while the server's heap holds nothing else. The
# server collects garbage before each memory reading (pprof's heap profile
# with gc=1 on the debug address), so the heap figures are what is live;
# the settle lets Go return to the OS some of the memory of the run's
# sign-up (a scrypt hash allocates 32 MiB) before the RSS baseline.
bench connections -n "$(d 2000 200)" -hold "$(d 10s 2s)" -settle "$(d 30s 2s)" \
  -gc-url "http://127.0.0.1:$debug_port/debug/pprof/heap?gc=1"
for rate in 100 200 400 800 1000; do
  bench commands -rate "$rate" -duration "$(d 5s 1s)" -pairs 10
done
bench motion -rate 20 -duration "$(d 5s 1s)" -clients "$(d 100 10)"
for viewers in 1 10 25; do
  bench sfu -viewers "$viewers" -duration "$(d 5s 1s)" -warmup "$(d 2s 1s)"
done
bench auth -concurrency 2 -duration "$(d 10s 2s)"

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git status --porcelain -- ':!docs' 2>/dev/null)" ] && commit="$commit (with uncommitted changes)"
go run ./cmd/vigil/bench/report -in "$out" -md docs/benchmarks.md -png docs/bench-commands.png \
  -commit "$commit" -machine "$machine"
say "updated docs/benchmarks.md, docs/bench-commands.png and $out/"
