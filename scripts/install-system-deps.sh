#!/usr/bin/env bash
# System packages the test suite needs beyond Python (headless Chromium for UI tests, ffmpeg's
# ffprobe to check that video recordings carry their KLV data stream).
# Runs apt-get only when something is missing and we are root; otherwise says what to install.
set -uo pipefail
cd "$(dirname "$0")/.."
need=()
# Chromium is only needed once browser tests exist (tests/ui/).
if [ -d tests/ui ]; then command -v chromium >/dev/null 2>&1 || need+=(chromium); fi
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}; tests needing them will skip" >&2
else
  echo "note: install ${need[*]} (Debian: apt-get install ${need[*]}) for the browser tests" >&2
fi
exit 0
