#!/usr/bin/env bash
# The whole test suite: setup, lint, format check, type check, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-system-deps.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy geodata missions
# Two workers, each taking whole modules (module fixtures start a simulator or a demo once): many tests
# wait on real-time flights and browsers, so two cores finish in far less than twice the time of one.
# PYTEST_WORKERS=0 runs in one process.
.venv/bin/python -m pytest -q -ra -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
