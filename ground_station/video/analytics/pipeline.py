"""Per stream: run the detector every ``detect_every`` frames, track in between, anonymise every frame.

Detection is the slow part (a CPU model at ~5 Hz); tracking and pixelation are cheap, so every frame
is anonymised with the tracker's predicted, grown boxes, including the frames between detections.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ground_station.video.analytics.anonymise import ImageU8, anonymise_image
from ground_station.video.analytics.detector import Detection, Detector
from ground_station.video.analytics.tracker import BoxTracker, TrackedBox

log = logging.getLogger(__name__)
DEFAULT_DETECT_EVERY = 5  # 5 Hz at 25 fps


@dataclass(frozen=True)
class FrameAnalytics:
    frame: int
    detected: bool  # the detector ran on this frame
    detections: list[Detection]  # this frame's raw detections (empty between detections)
    detection_track_ids: list[int]  # the track of each raw detection
    tracks: list[TrackedBox]  # what is covered on this frame
    failed: bool = False  # no detector or it raised: the whole frame is treated as unknown


class AnalyticsPipeline:
    """Not thread-safe: one per (stream, consumer), fed frames in order."""

    def __init__(
        self,
        detector: Detector | None,
        *,
        detect_every: int | None = None,
        tracker: BoxTracker | None = None,
    ):
        """``detect_every`` None: the detector's own ``detect_every`` attribute if it has one (a slow
        model asks for fewer runs), else ``DEFAULT_DETECT_EVERY``."""
        self.detector = detector
        if detect_every is None:
            detect_every = int(getattr(detector, "detect_every", DEFAULT_DETECT_EVERY))
        self.detect_every = max(1, detect_every)
        self.tracker = tracker or BoxTracker(max_coast_frames=max(3 * self.detect_every, 10))
        self.frame = -1
        self._last_failed = detector is None

    def step(self, image: ImageU8) -> FrameAnalytics:
        self.frame += 1
        if self.detector is None:
            return FrameAnalytics(self.frame, False, [], [], [], failed=True)
        detections: list[Detection] = []
        ids: list[int] = []
        ran = self.frame % self.detect_every == 0
        if ran:
            try:
                detections = self.detector.detect(image)
                self._last_failed = False
            except Exception:
                log.warning(
                    "detector failed; frame anonymised whole", exc_info=log.isEnabledFor(logging.DEBUG)
                )
                self._last_failed = True
            ids = self.tracker.update(self.frame, detections)
        return FrameAnalytics(
            self.frame, ran, detections, ids, self.tracker.boxes(self.frame), failed=self._last_failed
        )

    def anonymised(
        self, image: ImageU8, *, floor_cell_px: int | None = None, scene_unknown: bool = False
    ) -> tuple[ImageU8, FrameAnalytics]:
        """``floor_cell_px``: drone video's whole-picture mosaic under the boxes; ``scene_unknown``: the
        caller cannot bound what the picture shows (drone video without the metadata for the floor),
        so the whole frame is pixelated as when the detector fails."""
        result = self.step(image)
        boxes = None if result.failed or scene_unknown else [t.box for t in result.tracks]
        return anonymise_image(image, boxes, floor_cell_px), result
