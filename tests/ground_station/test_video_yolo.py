"""YOLOv8n (optional extra, AGPL-3.0 weights) on real pictures, one test per source, and its parts.

Thresholds are what was measured (``python -m bench.bench_detector_pr``) less a margin; the table is in
ground_station/video/README.md. The model tests skip when scripts/setup.sh did not extract the weights
(or BORDERWATCH_NO_AGPL_MODELS was set), the per-source tests when their pictures are not cached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ground_station.video.analytics.combined import CombinedDetector
from ground_station.video.analytics.detector import Box, Detection, ObjectKind
from ground_station.video.analytics.evaluation import EvalResult, LabelledFrame, evaluate, frame_counts
from ground_station.video.analytics.models import YOLOV8N
from ground_station.video.analytics.nms import merge_detections
from ground_station.video.analytics.tiling import TiledDetector, tile_windows
from ground_station.video.analytics.yolo import letterbox
from tests.ground_station.detector_eval_sources import REAL_SOURCES, Source

needs_model = pytest.mark.skipif(
    not YOLOV8N.is_file(),
    reason=f"optional YOLOv8n weights (AGPL-3.0) not extracted to {YOLOV8N}: run scripts/setup.sh",
)
PERSON, VEHICLE = ObjectKind.PERSON, ObjectKind.VEHICLE


def test_letterbox_keeps_aspect_and_maps_back() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    boxed, lb = letterbox(image)
    assert boxed.shape == (640, 640, 3)
    assert lb.scale == 0.5 and lb.pad_x == 0 and lb.pad_y == 140
    x, y = lb.to_image(np.array([320.0], np.float32), np.array([140.0], np.float32))
    assert float(x[0]) == 640.0 and float(y[0]) == 0.0


def test_nms_keeps_the_best_of_overlaps_per_kind_and_drops_contained_halves() -> None:
    dets = [
        Detection(PERSON, Box(0, 0, 10, 20), 0.9),
        Detection(PERSON, Box(1, 1, 11, 21), 0.8),  # IoU 0.75 with the first: dropped
        Detection(VEHICLE, Box(0, 0, 10, 20), 0.7),  # another kind: kept
        Detection(PERSON, Box(0, 0, 10, 9), 0.6),  # half of the first, inside it
    ]
    assert merge_detections(dets, 0.5) == [dets[0], dets[3], dets[2]]
    assert merge_detections(dets, 0.5, contain=0.8) == [dets[0], dets[2]]


def test_tiles_cover_a_1280x720_frame_with_overlap() -> None:
    windows = tile_windows(1280, 720)
    assert [(w.x0, w.x1) for w in windows] == [(0, 720), (560, 1280)]
    assert all(w.y0 == 0 and w.y1 == 720 for w in windows)
    assert tile_windows(640, 480) == []


class _Stub:
    """Answers a fixed box wherever it falls in the picture it is given (to test the tile offsets)."""

    def __init__(self, box_in_full: Box, full_width: int) -> None:
        self.box = box_in_full
        self.full_width = full_width
        self.offsets: list[int] = []

    def detect(self, image: np.ndarray) -> list[Detection]:
        # Tiles are views into the full frame: their offset is recoverable from the data pointer.
        offset = (image.__array_interface__["data"][0] - self.base) // 3
        self.offsets.append(offset)
        x0 = self.box.x0 - offset
        if image.shape[1] == self.full_width:
            return [Detection(PERSON, self.box, 0.6)]
        if x0 < 0 or x0 + self.box.width > image.shape[1]:
            return []
        return [Detection(PERSON, Box(x0, self.box.y0, x0 + self.box.width, self.box.y1), 0.8)]


def test_tiled_detector_offsets_tile_boxes_and_merges_with_the_full_pass() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    stub = _Stub(Box(900, 300, 920, 340), 1280)
    stub.base = image.__array_interface__["data"][0]  # type: ignore[attr-defined]
    tiled = TiledDetector(stub)
    found = tiled.detect(image)
    assert tiled.passes == 3 and sorted(stub.offsets) == [0, 0, 560]
    assert found == [Detection(PERSON, Box(900, 300, 920, 340), 0.8)]  # the tile's, better scored


def test_combined_detector_returns_every_members_detections() -> None:
    class Fixed:
        def __init__(self, det: Detection) -> None:
            self.det = det

        def detect(self, image: object) -> list[Detection]:
            return [self.det]

    a = Detection(PERSON, Box(0, 0, 5, 5), 0.5)
    b = Detection(ObjectKind.FACE, Box(1, 1, 3, 3), 0.5)
    assert CombinedDetector([Fixed(a), Fixed(b)]).detect(np.zeros((4, 4, 3), np.uint8)) == [a, b]


def test_ignore_regions_swallow_unmatched_detections_only() -> None:
    labels = LabelledFrame(
        objects=[{"kind": "vehicle", "box": (0, 0, 10, 10)}],  # type: ignore[list-item]
        ignore=[(100, 100, 200, 200)],
    )
    dets = [
        Detection(VEHICLE, Box(0, 0, 10, 10), 0.9),
        Detection(VEHICLE, Box(120, 120, 130, 130), 0.9),  # in the ignore region: not counted
        Detection(VEHICLE, Box(300, 300, 310, 310), 0.9),  # a false positive
        Detection(ObjectKind.FACE, Box(0, 0, 2, 2), 0.9),  # faces are not labelled: not counted
    ]
    counts = frame_counts(labels, dets)
    assert (counts[VEHICLE].tp, counts[VEHICLE].fp, counts[VEHICLE].fn) == (1, 1, 0)
    assert ObjectKind.FACE not in counts


def _run(source: Source, tiled: bool = True) -> EvalResult:
    if source.missing:
        pytest.skip(source.missing)
    from ground_station.video.analytics.yolo import YoloV8Detector

    detector = YoloV8Detector()
    result = evaluate(TiledDetector(detector) if tiled else detector, source.items())
    print(source.name, {k.value: vars(c) for k, c in result.counts.items()})
    return result


def _source(prefix: str) -> Source:
    return next(s for s in REAL_SOURCES if s.name.startswith(prefix))


@needs_model
def test_yolov8n_on_vtest_pedestrians_and_parked_vans() -> None:
    # Measured (tiled): person 22 tp / 1 fp / 0 fn, vehicle 8 / 0 / 0 over 4 hand-labelled frames.
    result = _run(_source("vtest"))
    assert result.frames == 4 and result.objects(PERSON) == 22 and result.objects(VEHICLE) == 8
    assert result.counts[PERSON].recall >= 0.85 and result.counts[PERSON].precision >= 0.85
    assert result.counts[VEHICLE].recall >= 0.75 and result.counts[VEHICLE].precision >= 0.75


@needs_model
def test_yolov8n_tiles_find_small_motorway_cars_that_one_pass_misses() -> None:
    # Measured: one pass 10 tp / 1 fp / 9 fn; tiled 15 / 1 / 4 (19 hand-labelled cars).
    source = _source("sahi small")
    single = _run(source, tiled=False).counts[VEHICLE]
    tiled = _run(source).counts[VEHICLE]
    assert tiled.recall >= 0.65 and tiled.precision >= 0.8
    assert tiled.recall >= single.recall + 0.15


@needs_model
def test_yolov8n_on_sahi_terrain2_offroad_cars() -> None:
    # Measured: 5 tp / 0 fp / 0 fn against sahi's own labels.
    counts = _run(_source("sahi terrain2")).counts[VEHICLE]
    assert counts.recall >= 0.8 and counts.precision >= 0.8


@needs_model
def test_yolov8n_on_scikit_image_pictures() -> None:
    # Measured: astronaut and cameraman found, the motorcycle found, nothing in coffee/chelsea/rocket.
    result = _run(_source("scikit-image"))
    assert result.counts[PERSON].tp == 2 and result.counts[VEHICLE].tp == 1
    assert result.counts[PERSON].fp + result.counts[VEHICLE].fp <= 1


@needs_model
def test_configured_yolov8n_is_the_tiled_stack_with_faces_and_a_slower_rate() -> None:
    from ground_station.video.analytics.pipeline import AnalyticsPipeline
    from ground_station.video.analytics.stack import DETECT_EVERY, PeopleVehiclesDetector
    from ground_station.video.service import detector_factory_for

    detector = detector_factory_for("yolov8n")()
    assert isinstance(detector, PeopleVehiclesDetector)
    assert AnalyticsPipeline(detector).detect_every == DETECT_EVERY


def test_a_sprite_is_pasted_standing_in_its_box_and_its_truth_is_the_drawn_pixels() -> None:
    from sim.camera.sprites import paste

    sprite = np.zeros((40, 20, 4), np.uint8)
    sprite[..., :3] = 200
    sprite[5:40, 5:15, 3] = 255  # opaque body, transparent margin
    frame = np.zeros((100, 100, 3), np.uint8)
    drawn = paste(frame, sprite, (40.0, 20.0, 60.0, 60.0))
    assert drawn is not None
    x0, y0, x1, y1 = drawn
    assert y1 == 60 and abs((x0 + x1) / 2 - 50) <= 1  # stands on the box's bottom centre
    assert y0 == 25 and x1 - x0 == 10  # the box's height, the sprite's aspect
    assert frame[y0:y1, x0:x1].mean() > 150 and frame[:, :x0].max() == 0 and frame[:y0].max() == 0


def _sim(prefix: str, tiled: bool = True) -> EvalResult:
    from tests.ground_station.detector_eval_sources import sim_sources

    return _run(next(s for s in sim_sources() if s.name.startswith(prefix)), tiled)


@needs_model
def test_yolov8n_sees_the_sprite_pole_scene_and_not_the_drawn_shapes() -> None:
    # Measured (6 frames, 36 people, 12 cars): shapes person 1/36, vehicle 2/12 found;
    # sprites person 29/36 (1 fp), vehicle 5/12 (0 fp).
    shapes = _sim("sim pole 320x240, 8 m, shapes", tiled=False).counts
    sprites = _sim("sim pole 320x240, 8 m, sprites", tiled=False).counts
    assert sprites[PERSON].recall >= 0.7 and sprites[PERSON].precision >= 0.85
    assert sprites[VEHICLE].recall >= 0.3 and sprites[VEHICLE].precision >= 0.8
    assert sprites[PERSON].recall >= shapes[PERSON].recall + 0.5


@needs_model
def test_yolov8n_tiled_on_the_sprite_drone_scene_from_40m() -> None:
    # Measured (6 frames 1280x720, 36 people 18-30 px tall, 18 cars): tiled person 19/36, vehicle
    # 11/18, no false positive; one pass person 11/36, vehicle 3/18.
    counts = _sim("sim drone 1280x720, 40 m, sprites").counts
    assert counts[PERSON].recall >= 0.4 and counts[PERSON].precision >= 0.9
    assert counts[VEHICLE].recall >= 0.4 and counts[VEHICLE].precision >= 0.8


def test_yolov8n_is_a_configurable_detector_and_fails_clearly_without_its_weights(tmp_path: Path) -> None:
    from ground_station.config import VideoConfig
    from ground_station.video.analytics.yolo import OptionalModelMissingError, YoloV8Detector

    assert VideoConfig(detector="yolov8n").detector == "yolov8n"
    with pytest.raises(OptionalModelMissingError, match=r"AGPL-3\.0"):
        YoloV8Detector(tmp_path / "absent.onnx")
