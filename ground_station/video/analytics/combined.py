"""Several detectors on one picture, their detections together: e.g. YOLOv8n's people and vehicles
plus CenterFace's faces for anonymisation (a face close to the camera may be found by one and not the
other). If any member raises, the whole call raises, so the pipeline fails closed (whole frame)."""

from __future__ import annotations

from collections.abc import Sequence

from ground_station.video.analytics.detector import Detection, Detector, ImageU8


class CombinedDetector:
    def __init__(self, members: Sequence[Detector]) -> None:
        if not members:
            raise ValueError("a combined detector needs at least one member")
        self.members = list(members)

    def detect(self, image: ImageU8) -> list[Detection]:
        out: list[Detection] = []
        for member in self.members:
            out.extend(member.detect(image))
        return out
