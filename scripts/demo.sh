#!/usr/bin/env bash
# Sets up and runs the main job: ground station + simulated drones and cameras on http://127.0.0.1:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/borderwatch demo "$@"
