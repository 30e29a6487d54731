#!/usr/bin/env bash
# Set up Keel's virtual environment: torch (CPU wheel) first, then Keel with its extras,
# then the verified local model. Safe and fast to run again: it skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${KEEL_VENV:-.venv}
EXTRAS=${KEEL_EXTRAS:-llm,dev}
STAMP="$VENV/.keel-installed"

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip wheel
fi

want="$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1) $EXTRAS"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "==> dependencies up to date ($VENV)"
else
  # torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
  "$VENV/bin/pip" install -q "torch==2.13.0" 2>&1 | { grep -v "is ignored: it is neither" || true; }
  echo "==> installing keel[$EXTRAS] (llama-cpp-python compiles once, ~3 min, then pip caches it)"
  "$VENV/bin/pip" install -q -e ".[$EXTRAS]" 2>&1 | { grep -v "is ignored: it is neither" || true; }
  "$VENV/bin/python" -c "import memory, scoring, agent, ui" 
  echo "$want" > "$STAMP"
fi

if [[ ",$EXTRAS," == *",llm,"* ]] && [ -f agent/model_files.py ]; then
  "$VENV/bin/keel" models fetch
fi
