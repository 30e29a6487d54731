#!/usr/bin/env bash
# Seed the simulated demo org (once) and start Keel on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${KEEL_VENV:-.venv}/bin
"$BIN/keel" demo --if-empty
if "$BIN/keel" serve --help >/dev/null 2>&1; then
  exec "$BIN/keel" serve
fi
"$BIN/keel" rewind --as-of now
