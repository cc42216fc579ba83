"""The labelled picture sets the person/vehicle detector is measured on, one per source.

Real footage is cached by ``scripts/prepare-eval-data.sh`` in ``EVAL_DIR`` (never in the repository);
our hand labels are in ``tests/data/``. A source whose pictures are missing gives its skip reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ground_station.video.analytics.detector import ImageU8, ObjectKind
from ground_station.video.analytics.evaluation import LabelFile, LabelledFrame, LabelledObject
from ground_station.video.analytics.models import MODEL_DIR
from sim.camera.metadata import GroundTruthBox
from sim.scene import GroundObjectKind

EVAL_DIR = MODEL_DIR / "eval"
DATA = Path(__file__).resolve().parents[1] / "data"
Items = Iterator[tuple[ImageU8, LabelledFrame]]


@dataclass(frozen=True)
class Source:
    name: str
    how_labelled: str
    items: Callable[[], Items]
    missing: str | None  # why it cannot run here, or None


def _labels(name: str) -> LabelFile:
    return LabelFile.model_validate(json.loads((DATA / name).read_text()))


def _vtest() -> Items:
    labels = _labels("labels_vtest.json")
    wanted = {f.frame: f for f in labels.frames}
    cap = cv2.VideoCapture(str(EVAL_DIR / "opencv" / "vtest.avi"))
    try:
        index = 0
        while wanted and index <= max(wanted):
            ok, frame = cap.read()
            if not ok:
                raise RuntimeError(f"vtest.avi ended at frame {index}")
            if index in wanted:
                yield np.asarray(frame, dtype=np.uint8), wanted.pop(index)
            index += 1
    finally:
        cap.release()


def _image(path: Path) -> ImageU8:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return np.asarray(image, dtype=np.uint8)


def _small_vehicles() -> Items:
    labels = _labels("labels_small_vehicles1.json")
    yield _image(EVAL_DIR / "sahi" / "small-vehicles1.jpeg"), labels.frames[0]


def _terrain2() -> Items:
    """sahi's own COCO labels (5 cars, category 'car')."""
    coco = json.loads((EVAL_DIR / "sahi" / "terrain2_coco.json").read_text())
    objects = [
        LabelledObject(kind=ObjectKind.VEHICLE, box=(x, y, x + w, y + h))
        for x, y, w, h in (a["bbox"] for a in coco["annotations"])
    ]
    yield _image(EVAL_DIR / "sahi" / "terrain2.png"), LabelledFrame(name="terrain2", objects=objects)


def _skimage() -> Items:
    import skimage.data

    labels = _labels("labels_skimage.json")
    for frame in labels.frames:
        name = frame.name or ""
        picture = (
            skimage.data.stereo_motorcycle()[0]
            if name == "motorcycle_left"
            else getattr(skimage.data, name)()
        )
        if picture.ndim == 2:
            bgr = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
        else:
            bgr = cv2.cvtColor(picture[..., :3], cv2.COLOR_RGB2BGR)
        yield np.asarray(bgr, dtype=np.uint8), frame


def _has_skimage() -> str | None:
    try:
        import skimage.data  # noqa: F401
    except ImportError:
        return "scikit-image is not installed (dev extra)"
    return None


def _missing(*paths: Path) -> str | None:
    absent = [p for p in paths if not p.is_file()]
    return f"{absent[0]} missing: scripts/prepare-eval-data.sh caches it" if absent else None


def truth_frame(index: int, truth: list[GroundTruthBox]) -> LabelledFrame:
    return LabelledFrame(
        frame=index,
        objects=[
            LabelledObject(
                kind=ObjectKind.PERSON if t.kind is GroundObjectKind.PERSON else ObjectKind.VEHICLE,
                box=(t.x0, t.y0, t.x1, t.y1),
            )
            for t in truth
        ],
    )


REAL_SOURCES = [
    Source(
        "vtest.avi (OpenCV, Debian opencv-doc)",
        "4 frames, by hand (tests/data/labels_vtest.json)",
        _vtest,
        _missing(EVAL_DIR / "opencv" / "vtest.avi"),
    ),
    Source(
        "sahi small-vehicles1.jpeg",
        "1 picture, by hand (tests/data/labels_small_vehicles1.json)",
        _small_vehicles,
        _missing(EVAL_DIR / "sahi" / "small-vehicles1.jpeg"),
    ),
    Source(
        "sahi terrain2.png",
        "1 picture, sahi's own COCO json",
        _terrain2,
        _missing(EVAL_DIR / "sahi" / "terrain2.png", EVAL_DIR / "sahi" / "terrain2_coco.json"),
    ),
    Source(
        "scikit-image data",
        "6 pictures (3 without objects), by hand (tests/data/labels_skimage.json)",
        _skimage,
        _has_skimage(),
    ),
]


def _sim(scene: str, sprites: bool) -> Callable[[], Items]:
    def items() -> Items:
        from sim.camera.sprites import SpriteBank

        bank = SpriteBank.load() if sprites else None
        if scene == "drone":
            from tests.ground_station import drone_scene

            frames = drone_scene.frames(SIM_FRAMES, step=25, sprites=bank)
        else:
            from tests.ground_station import analytics_scene

            frames = (f for f in analytics_scene.frames(SIM_FRAMES * 20, sprites=bank) if f.index % 20 == 0)
        for frame in frames:
            yield np.asarray(frame.image, dtype=np.uint8), truth_frame(frame.index, frame.truth)

    return items


SIM_FRAMES = 6


def sim_sources() -> list[Source]:
    """The simulator's scenes against its own truth: drawn shapes, and real-picture sprites."""
    from sim.camera.sprites import SPRITE_DIR, SpriteBank

    no_sprites = None if SpriteBank.load() else f"no sprites in {SPRITE_DIR}: scripts/setup.sh cuts them"
    return [
        Source(
            "sim drone 1280x720, 40 m, shapes", f"{SIM_FRAMES} frames, sim truth", _sim("drone", False), None
        ),
        Source(
            "sim drone 1280x720, 40 m, sprites",
            f"{SIM_FRAMES} frames, sim truth",
            _sim("drone", True),
            no_sprites,
        ),
        Source("sim pole 320x240, 8 m, shapes", f"{SIM_FRAMES} frames, sim truth", _sim("pole", False), None),
        Source(
            "sim pole 320x240, 8 m, sprites",
            f"{SIM_FRAMES} frames, sim truth",
            _sim("pole", True),
            no_sprites,
        ),
    ]
