#!/usr/bin/env bash
# Install what the tests need (Python packages in ./.venv, Debian's Chromium for the browser
# tests) and run the whole suite: lint, unit, AppTest and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
.venv/bin/python -m ruff check .
.venv/bin/lint-imports  # the import contract in .importlinter: pages -> ui -> atlas, layers
# Two workers on CI's two cores; a module's tests stay on one worker (they share its app server).
# The benchmark's quick run (2-3 min) is left out: `bash scripts/test.sh -m bench_smoke` runs
# it alone (a later -m wins), as the second step of .ci/run.
exec .venv/bin/python -m pytest -q -n auto --dist loadscope -m "not bench_smoke" "$@"
