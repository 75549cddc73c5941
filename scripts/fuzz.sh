#!/usr/bin/env bash
# Runs every Fuzz* target in the module for $1 (default 30s) each.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
fuzztime="${1:-30s}"
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r file; do
  pkg="./$(dirname "${file#./}")"
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r target; do
    echo "fuzz: $pkg $target for $fuzztime"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
