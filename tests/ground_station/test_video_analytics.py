"""Analytics against the simulator's ground truth: anonymisation coverage on every frame (detections at
5 Hz of a 25 fps stream, tracked in between), irreversibility, geo-location error, P/R matching."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from types import SimpleNamespace

import numpy as np
import pytest

from geodata.crs import LocalTangentPlane
from ground_station.auth.roles import Role
from ground_station.video.analytics.anonymise import anonymise_image, coverage_mask
from ground_station.video.analytics.detector import Box, Detection, ObjectKind
from ground_station.video.analytics.geolocate import geolocate
from ground_station.video.analytics.metrics import precision_recall
from ground_station.video.analytics.pipeline import AnalyticsPipeline
from ground_station.video.analytics.tracker import TrackedBox
from ground_station.video.analytics.variants import CANVAS_BGR
from ground_station.video.api import variants_for
from ground_station.video.delivery import Variant, VariantPictures
from ground_station.video.ingest import SensorBinding
from ground_station.video.tickets import TicketBook, TicketError
from sim.camera.metadata import GroundTruthBox
from sim.scene import GroundObjectKind
from tests.ground_station import analytics_scene as scene


def _kind(truth: GroundTruthBox) -> ObjectKind:
    return ObjectKind.PERSON if truth.kind is GroundObjectKind.PERSON else ObjectKind.VEHICLE


def _box(truth: GroundTruthBox) -> Box:
    return Box(truth.x0, truth.y0, truth.x1, truth.y1)


class NoisyTruthDetector:
    """Stands in for a model: the frame's true boxes with each edge off by up to 15 % of the box size."""

    def __init__(self) -> None:
        self.truth: list[GroundTruthBox] = []
        self.rng = random.Random(13)

    def detect(self, image: object) -> list[Detection]:
        out = []
        for t in self.truth:
            w, h = t.x1 - t.x0, t.y1 - t.y0
            j = [self.rng.uniform(-0.15, 0.15) for _ in range(4)]
            box = Box(t.x0 + j[0] * w, t.y0 + j[1] * h, t.x1 + j[2] * w, t.y1 + j[3] * h)
            out.append(Detection(_kind(t), box, 0.9))
        return out


def test_every_true_person_is_pixelated_on_every_frame_between_5hz_detections() -> None:
    detector = NoisyTruthDetector()
    pipeline = AnalyticsPipeline(detector, detect_every=5)  # 25 fps stream, detector at 5 Hz
    people = covered = 0
    vehicles = vehicles_covered = 0
    between = 0
    for frame in scene.frames(60):
        detector.truth = frame.truth
        image = np.asarray(frame.image)
        out, result = pipeline.anonymised(image)
        between += not result.detected
        mask = coverage_mask(image.shape[:2], [t.box for t in result.tracks])
        for truth in frame.truth:
            inside = mask[truth.y0 : truth.y1, truth.x0 : truth.x1]
            full = inside.size > 0 and inside.mean() >= 0.99
            if truth.kind is GroundObjectKind.PERSON:
                people += 1
                covered += full
            else:
                vehicles += 1
                vehicles_covered += full
            # Irreversible: the person's pixels are gone (a coarse mosaic of quantised means).
            region = out[truth.y0 : truth.y1, truth.x0 : truth.x1]
            if full and region.size:
                assert len(np.unique(region.reshape(-1, 3), axis=0)) <= 36
        # Nothing else in the frame is touched.
        assert np.array_equal(out[~mask], image[~mask])
    assert between >= 40
    assert people >= 300
    assert covered / people >= 0.99, f"{covered}/{people} people covered"
    assert vehicles_covered / vehicles >= 0.99, f"{vehicles_covered}/{vehicles} vehicles covered"


def test_no_detector_pixelates_the_whole_frame() -> None:
    frame = next(scene.frames(1))
    image = np.asarray(frame.image)
    out, result = AnalyticsPipeline(None).anonymised(image)
    assert result.failed
    for truth in frame.truth:
        region = out[truth.y0 : truth.y1, truth.x0 : truth.x1]
        assert not np.array_equal(region, image[truth.y0 : truth.y1, truth.x0 : truth.x1])
    assert len(np.unique(out.reshape(-1, 3), axis=0)) < 400


def test_a_failing_detector_fails_closed() -> None:
    class Broken:
        def detect(self, image: object) -> list[Detection]:
            raise RuntimeError("model crashed")

    image = np.asarray(next(scene.frames(1)).image)
    out, result = AnalyticsPipeline(Broken()).anonymised(image)
    assert result.failed
    assert not np.array_equal(out, image)


def test_pixelation_keeps_no_detail_of_a_face_sized_region() -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    out = anonymise_image(image, [Box(100, 50, 140, 130)])
    region = out[50:130, 100:140]
    # 40 px wide -> at most 4 cells across, each one colour: 4 x 8 cells at most.
    assert len(np.unique(region.reshape(-1, 3), axis=0)) <= 32
    assert np.array_equal(out[:50], image[:50])


def test_geolocated_detections_land_on_the_true_positions() -> None:
    frame = next(scene.frames(1))
    tracks = [TrackedBox(i, _kind(t), _box(t), 0, 1.0) for i, t in enumerate(frame.truth)]
    ids = {i: t.object_id for i, t in enumerate(frame.truth)}
    points = geolocate(
        "pole-1",
        tracks,
        scene.camera_pose(),
        scene.intrinsics(),
        scene.TERRAIN,
        datetime(2026, 12, 3, tzinfo=UTC),
    )
    assert len(points) == len(tracks) >= 6
    ltp = LocalTangentPlane(scene.HOME_LON, scene.HOME_LAT, scene.GROUND_M)
    errors = {}
    for p in points:
        obj = frame.objects[ids[p.track_id]]
        e1, n1, _ = ltp.to_enu(p.lon, p.lat, scene.GROUND_M)
        e2, n2, _ = ltp.to_enu(obj.lon, obj.lat, scene.GROUND_M)
        error = math.hypot(float(e1) - float(e2), float(n1) - float(n2))
        errors[obj.id] = (error, p.uncertainty_m, p.range_m)
        assert error <= p.uncertainty_m, (obj.id, error, p.uncertainty_m)
        limit = 1.5 if obj.kind is GroundObjectKind.PERSON else 3.0
        assert error < limit, (obj.id, error)
        assert p.uncertainty_m < 4 * error + 3.0, (obj.id, error, p.uncertainty_m)
    print("geolocation (error m, uncertainty m, range m):", errors)


def test_precision_recall_matches_at_iou_half() -> None:
    truth = [(ObjectKind.PERSON, Box(0, 0, 10, 20)), (ObjectKind.VEHICLE, Box(50, 50, 90, 70))]
    detections = [
        Detection(ObjectKind.PERSON, Box(1, 1, 10, 21), 0.9),  # IoU ~0.86: hit
        Detection(ObjectKind.VEHICLE, Box(70, 50, 110, 70), 0.8),  # IoU 1/3: miss + false positive
        Detection(ObjectKind.PERSON, Box(200, 200, 210, 220), 0.7),  # false positive
    ]
    pr = precision_recall(truth, detections)
    assert pr[ObjectKind.PERSON].tp == 1 and pr[ObjectKind.PERSON].fp == 1 and pr[ObjectKind.PERSON].fn == 0
    assert pr[ObjectKind.VEHICLE].tp == 0 and pr[ObjectKind.VEHICLE].fn == 1
    assert pr[ObjectKind.PERSON].precision == 0.5 and pr[ObjectKind.PERSON].recall == 1.0


def _video_frame(seq: int, image: np.ndarray) -> object:
    return SimpleNamespace(seq=seq, image=image, stream_id="pole-1", klv=None)


def test_analytic_variant_carries_no_camera_pixels_only_boxes() -> None:
    stream = SimpleNamespace(source=SimpleNamespace(binding=SensorBinding("pole-1")))
    detector = NoisyTruthDetector()
    pictures = VariantPictures(stream, Variant.ANALYTIC, lambda: detector)  # type: ignore[arg-type]
    for frame in scene.frames(6):
        detector.truth = frame.truth
        out = pictures.picture(_video_frame(frame.index, np.asarray(frame.image)))  # type: ignore[arg-type]
        colours = {tuple(int(c) for c in px) for px in out.reshape(-1, 3)}
        assert colours <= {CANVAS_BGR, (40, 40, 230), (230, 120, 40)}
        assert (40, 40, 230) in colours  # people are shown, as boxes


def test_anonymised_variant_without_detector_is_fail_closed() -> None:
    stream = SimpleNamespace(source=SimpleNamespace(binding=SensorBinding("pole-1")))
    pictures = VariantPictures(stream, Variant.ANONYMISED, None)  # type: ignore[arg-type]
    frame = next(scene.frames(1))
    image = np.asarray(frame.image)
    out = pictures.picture(_video_frame(0, image))  # type: ignore[arg-type]
    truth = frame.truth[0]
    assert not np.array_equal(
        out[truth.y0 : truth.y1, truth.x0 : truth.x1], image[truth.y0 : truth.y1, truth.x0 : truth.x1]
    )


def test_partners_get_only_privacy_variants_and_tickets_are_bound_to_the_variant() -> None:
    assert set(variants_for(Role.PARTNER_VIEWER)) == {Variant.ANONYMISED, Variant.ANALYTIC}
    assert Variant.RAW in variants_for(Role.PILOT)
    book = TicketBook(30.0)
    ticket = book.issue("stream:pole-1", "live:anonymised", "partner", "pl")
    with pytest.raises(TicketError):
        book.redeem(ticket.value, "stream:pole-1", "live:raw")


def test_configured_detectors_are_made_by_name() -> None:
    from ground_station.video.analytics.foreground import ForegroundDetector
    from ground_station.video.service import detector_factory_for

    assert isinstance(detector_factory_for("foreground")(), ForegroundDetector)
    with pytest.raises(ValueError):
        detector_factory_for("yolo-from-the-internet")
