"""Real people and cars for the simulated cameras: sprites cut from openly licensed real pictures.

``prepare`` (run by scripts/setup.sh) cuts each box listed in ``sprite_sources.json`` from the pictures
that scripts/prepare-eval-data.sh cached, with an alpha mask, into ``SPRITE_DIR`` as RGBA PNGs: people
from OpenCV's vtest.avi (mask: difference from the video's median background, so only the walking
person is kept), cars from sahi's demo pictures and vtest.avi's parked van (mask: GrabCut inside the
box, or the box with rounded corners where GrabCut loses the car). Nothing is committed;
licences in ``SOURCES.md`` beside this module. ``SpriteBank.load`` finds none when setup could not
fetch the pictures, and the renderer then draws its geometric shapes.

``paste`` scales a sprite to an object's projected true-size box (camera geometry in ``objects.py``),
standing on the box's bottom centre, and returns the box of the pixels it drew (the ground truth).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sim.scene import GroundObjectKind

ImageU8 = NDArray[np.uint8]
EVAL_DIR = Path(sys.prefix) / "share" / "borderwatch-models" / "eval"
SPRITE_DIR = Path(sys.prefix) / "share" / "borderwatch-models" / "sprites"
SOURCES = Path(__file__).with_name("sprite_sources.json")
ALPHA_MIN = 128
MIN_CAR_FILL = 0.6  # a car fills at least this much of its tight box


@dataclass(frozen=True)
class SpriteBank:
    people: tuple[ImageU8, ...]
    cars: tuple[ImageU8, ...]

    @staticmethod
    @lru_cache(maxsize=4)
    def load(directory: Path = SPRITE_DIR) -> SpriteBank:
        def read(prefix: str) -> tuple[ImageU8, ...]:
            found = []
            for path in sorted(directory.glob(f"{prefix}-*.png")):
                image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
                if image is not None and image.ndim == 3 and image.shape[2] == 4:
                    found.append(np.asarray(image, dtype=np.uint8))
            return tuple(found)

        return SpriteBank(read("person"), read("car"))

    def __bool__(self) -> bool:
        return bool(self.people) and bool(self.cars)

    def pick(self, kind: GroundObjectKind, key: int) -> ImageU8:
        pool = self.people if kind is GroundObjectKind.PERSON else self.cars
        return pool[key % len(pool)]


def paste(
    frame: ImageU8, sprite: ImageU8, box: tuple[float, float, float, float]
) -> tuple[int, int, int, int] | None:
    """Draws ``sprite`` scaled so its height fills ``box`` (x0, y0, x1, y1, float pixels: the object's
    projected true height), width by the sprite's own aspect (a walking person's stride is wider than
    the 0.5 m column of its extent), standing on the box's bottom centre. Returns the drawn pixels' box
    (clipped to the frame), or None when nothing was drawn."""
    x0, y0, x1, y1 = box
    bh = y1 - y0
    sh, sw = sprite.shape[:2]
    scale = bh / sh
    w, h = max(1, round(sw * scale)), max(1, round(sh * scale))
    left = round((x0 + x1) / 2 - w / 2)
    top = round(y1 - h)
    fh, fw = frame.shape[:2]
    cx0, cy0, cx1, cy1 = max(left, 0), max(top, 0), min(left + w, fw), min(top + h, fh)
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    scaled = cv2.resize(sprite, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    part = scaled[cy0 - top : cy1 - top, cx0 - left : cx1 - left]
    alpha = part[..., 3:4].astype(np.float32) / 255.0
    region = frame[cy0:cy1, cx0:cx1]
    region[:] = (part[..., :3] * alpha + region * (1.0 - alpha)).astype(np.uint8)
    ys, xs = np.nonzero(part[..., 3] >= ALPHA_MIN)
    if xs.size == 0:
        return None
    return cx0 + int(xs.min()), cy0 + int(ys.min()), cx0 + int(xs.max()) + 1, cy0 + int(ys.max()) + 1


def _video_frames(path: Path) -> list[ImageU8]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(np.asarray(frame, dtype=np.uint8))
    cap.release()
    return frames


def _person_alpha(crop: ImageU8, background: ImageU8) -> NDArray[np.uint8]:
    diff = cv2.absdiff(crop, background).max(axis=2)
    mask = (diff > 28).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    if count > 1:  # the person is the largest blob; specks of other motion go
        biggest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        mask = (labels == biggest).astype(np.uint8)
    return np.asarray(cv2.GaussianBlur(mask * 255, (3, 3), 0), dtype=np.uint8)


def _grabcut_alpha(picture: ImageU8, box: tuple[int, int, int, int], margin: int) -> NDArray[np.uint8]:
    x0, y0, x1, y1 = box
    h, w = picture.shape[:2]
    ax0, ay0, ax1, ay1 = max(x0 - margin, 0), max(y0 - margin, 0), min(x1 + margin, w), min(y1 + margin, h)
    area = np.ascontiguousarray(picture[ay0:ay1, ax0:ax1])
    mask = np.zeros(area.shape[:2], np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    rect = (x0 - ax0, y0 - ay0, x1 - x0, y1 - y0)
    cv2.grabCut(area, mask, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    inner = fg[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0]
    if inner.mean() < MIN_CAR_FILL:  # GrabCut lost the car (small, road-coloured): keep the tight box
        inner = np.zeros_like(inner)
        size = ((x1 - x0) * 1.2, (y1 - y0) * 1.2)  # an ellipse a bit larger than the box: rounded corners
        cv2.ellipse(inner, (((x1 - x0) / 2, (y1 - y0) / 2), size, 0.0), 1, -1)
    return np.asarray(cv2.GaussianBlur(inner * 255, (3, 3), 0), dtype=np.uint8)


def prepare(eval_dir: Path = EVAL_DIR, out_dir: Path = SPRITE_DIR) -> int:
    """Cuts every listed sprite whose picture is cached; returns how many were written."""
    spec = json.loads(SOURCES.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    videos: dict[str, list[ImageU8]] = {}
    backgrounds: dict[str, ImageU8] = {}
    written = 0
    for kind in ("person", "car"):
        for i, item in enumerate(spec[kind]):
            path = eval_dir / item["source"]
            if not path.is_file():
                continue
            x0, y0, x1, y1 = (int(v) for v in item["box"])
            if "frame" in item:
                if item["source"] not in videos:
                    videos[item["source"]] = _video_frames(path)
                    stack = np.stack(videos[item["source"]][::20])
                    backgrounds[item["source"]] = np.median(stack, axis=0).astype(np.uint8)
                picture = videos[item["source"]][int(item["frame"])]
            else:
                loaded = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if loaded is None:
                    continue
                picture = np.asarray(loaded, dtype=np.uint8)
            crop = picture[y0:y1, x0:x1]
            if kind == "person":
                alpha = _person_alpha(crop, backgrounds[item["source"]][y0:y1, x0:x1])
            else:
                alpha = _grabcut_alpha(picture, (x0, y0, x1, y1), margin=max(4, (x1 - x0) // 8))
            cv2.imwrite(str(out_dir / f"{kind}-{i:02d}.png"), np.dstack([crop, alpha]))
            written += 1
    SpriteBank.load.cache_clear()
    return written


if __name__ == "__main__":
    print(prepare(Path(sys.argv[1]) if len(sys.argv) > 1 else EVAL_DIR))
