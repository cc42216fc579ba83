#!/usr/bin/env bash
# Real pictures to measure the detectors on (issue 13), cached in .venv/share/borderwatch-models/eval/,
# never committed. Idempotent; each source is optional (its tests skip with the reason when absent).
#   sahi/      demo_data of the sahi sdist (MIT, (c) 2020 obss): small-vehicles1.jpeg, terrain2.png and
#              terrain2_coco.json (5 labelled cars), LICENSE
#   opencv/    vtest.avi (pedestrians, 768x576) from Debian's opencv-doc (OpenCV: Apache-2.0 AND
#              BSD-3-Clause per Debian's copyright file, copied beside it)
# scikit-image's bundled test images (astronaut, camera, motorcycle_left, ...) come with the dev extra.
set -uo pipefail
cd "$(dirname "$0")/.."
eval_dir=.venv/share/borderwatch-models/eval
mkdir -p "$eval_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ ! -f "$eval_dir/sahi/terrain2_coco.json" ]; then
  if .venv/bin/python -m pip download -q --no-deps --no-binary :all: 'sahi==0.12.8' -d "$tmp" >/dev/null 2>&1; then
    tar xzf "$tmp"/sahi-0.12.8.tar.gz -C "$tmp" sahi-0.12.8/demo/demo_data sahi-0.12.8/LICENSE \
      && mkdir -p "$eval_dir/sahi" \
      && cp "$tmp"/sahi-0.12.8/demo/demo_data/{small-vehicles1.jpeg,terrain2.png,terrain2_coco.json} \
            "$tmp"/sahi-0.12.8/LICENSE "$eval_dir/sahi/"
  else
    echo "setup: could not fetch the sahi sdist; its evaluation is skipped" >&2
  fi
fi

if [ ! -f "$eval_dir/opencv/vtest.avi" ]; then
  if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
    if ! (cd "$tmp" && apt-get download -q opencv-doc >/dev/null 2>&1) && [ "$(id -u)" = 0 ]; then
      apt-get update -qq >/dev/null 2>&1 || true
      (cd "$tmp" && apt-get download -q opencv-doc >/dev/null 2>&1) || true
    fi
    deb=$(ls "$tmp"/opencv-doc_*.deb 2>/dev/null | head -n1)
    if [ -n "$deb" ]; then
      dpkg-deb --fsys-tarfile "$deb" | tar x -C "$tmp" ./usr/share/doc/opencv-doc/examples/data/vtest.avi \
        ./usr/share/doc/opencv-doc/copyright \
        && mkdir -p "$eval_dir/opencv" \
        && cp "$tmp"/usr/share/doc/opencv-doc/copyright "$eval_dir/opencv/copyright" \
        && cp "$tmp"/usr/share/doc/opencv-doc/examples/data/vtest.avi "$eval_dir/opencv/vtest.avi"
    else
      echo "setup: could not fetch Debian's opencv-doc; the vtest.avi evaluation is skipped" >&2
    fi
  fi
fi
exit 0
