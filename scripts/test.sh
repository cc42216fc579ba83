#!/usr/bin/env bash
# The whole test suite: setup, lint, format check, type check, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-system-deps.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy geodata missions
if [ $# -eq 0 ]; then
    # the whole suite in two lanes side by side (why, and how they are split: scripts/pytest_lanes.py)
    .venv/bin/python scripts/pytest_lanes.py -- -q -ra
else
    .venv/bin/python -m pytest -q -ra "$@"
fi
