#!/usr/bin/env bash
# The whole test suite: setup, lint, format check, type check, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-system-deps.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy geodata missions
.venv/bin/python -m pytest -q -ra "$@"
