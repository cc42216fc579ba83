"""The configured person/vehicle detector (``[video] detector = "yolov8n"``): YOLOv8n on tiles plus the
whole frame (``tiling.py``), and CenterFace's faces beside it when those weights exist too.

Rate: one YOLOv8n pass costs ~180 ms of one core here (2-core x86_64, onnxruntime 1 thread); a
1280x720 frame takes 3 passes (~0.55 s), a frame of at most 720x720 one. The pipeline therefore runs
this stack every ``DETECT_EVERY`` = 12th frame (~2 Hz at 25 fps, below the 5 Hz of the lighter
detectors) and the tracker carries the boxes, grown, over the 11 frames between.
"""

from __future__ import annotations

from ground_station.video.analytics.combined import CombinedDetector
from ground_station.video.analytics.detector import Detection, Detector, ImageU8
from ground_station.video.analytics.models import CENTERFACE
from ground_station.video.analytics.tiling import TiledDetector
from ground_station.video.analytics.yolo import YoloV8Detector

DETECT_EVERY = 12


class PeopleVehiclesDetector:
    """Tiled YOLOv8n (+ CenterFace when prepared); ``detect_every`` tells the pipeline its rate."""

    detect_every = DETECT_EVERY

    def __init__(self, *, faces: bool = True, threads: int = 1) -> None:
        members: list[Detector] = [TiledDetector(YoloV8Detector(threads=threads))]
        self.has_faces = faces and CENTERFACE.is_file()
        if self.has_faces:
            from ground_station.video.analytics.centerface import CenterFaceDetector

            members.append(CenterFaceDetector(threads=threads))
        self._combined = CombinedDetector(members)

    def detect(self, image: ImageU8) -> list[Detection]:
        return self._combined.detect(image)
