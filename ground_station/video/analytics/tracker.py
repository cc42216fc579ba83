"""Boxes between detections: the detector runs at a few Hz, anonymisation must hold on every frame.

Each track keeps its last detected box and a per-frame velocity (from its last two detections). Between
detections the box is moved by that velocity and grown by a margin that increases with the frames
since the last detection, so a person who walks or a camera that pans stays inside the blurred area
until the next detection corrects it. A track no detection has confirmed for ``max_coast_frames`` is
dropped (its object left the picture).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ground_station.video.analytics.detector import Box, Detection, ObjectKind

_ids = itertools.count(1)


@dataclass
class Track:
    track_id: int
    kind: ObjectKind
    box: Box  # last detected
    frame: int  # frame index of that detection
    vx: float = 0.0  # px per frame, of the box centre
    vy: float = 0.0
    score: float = 0.0


@dataclass(frozen=True)
class TrackedBox:
    track_id: int
    kind: ObjectKind
    box: Box  # predicted and grown by the uncertainty margin
    frames_since_detection: int
    score: float


class BoxTracker:
    """Greedy IoU association per kind; constant-velocity prediction with a growing safety margin.

    ``margin_frac``: fraction of the box size always added on every side (detector boxes are loose
    and tight in turn); ``growth_frac_per_frame``: extra fraction per frame since the last detection.
    """

    def __init__(
        self,
        *,
        max_coast_frames: int = 30,
        min_iou: float = 0.1,
        margin_frac: float = 0.15,
        growth_frac_per_frame: float = 0.03,
        min_margin_px: float = 2.0,
    ) -> None:
        self.max_coast_frames = max_coast_frames
        self.min_iou = min_iou
        self.margin_frac = margin_frac
        self.growth_frac_per_frame = growth_frac_per_frame
        self.min_margin_px = min_margin_px
        self.tracks: list[Track] = []

    def _predicted(self, track: Track, frame: int) -> Box:
        dt = frame - track.frame
        return Box(
            track.box.x0 + track.vx * dt,
            track.box.y0 + track.vy * dt,
            track.box.x1 + track.vx * dt,
            track.box.y1 + track.vy * dt,
        )

    def update(self, frame: int, detections: list[Detection]) -> list[int]:
        """Associates this frame's detections with tracks (best IoU first), starts tracks for the rest;
        returns the track id of each detection."""
        pairs = []
        for ti, track in enumerate(self.tracks):
            predicted = self._predicted(track, frame).grown(self.min_margin_px)
            for di, det in enumerate(detections):
                if det.kind is track.kind:
                    iou = predicted.iou(det.box)
                    if iou >= self.min_iou:
                        pairs.append((iou, ti, di))
        ids = [0] * len(detections)
        used_t: set[int] = set()
        used_d: set[int] = set()
        for _iou, ti, di in sorted(pairs, reverse=True):
            if ti in used_t or di in used_d:
                continue
            used_t.add(ti)
            used_d.add(di)
            track, det = self.tracks[ti], detections[di]
            dt = max(frame - track.frame, 1)
            cx_old = (track.box.x0 + track.box.x1) / 2
            cy_old = (track.box.y0 + track.box.y1) / 2
            cx_new = (det.box.x0 + det.box.x1) / 2
            cy_new = (det.box.y0 + det.box.y1) / 2
            track.vx = 0.5 * track.vx + 0.5 * (cx_new - cx_old) / dt
            track.vy = 0.5 * track.vy + 0.5 * (cy_new - cy_old) / dt
            track.box, track.frame, track.score = det.box, frame, det.score
            ids[di] = track.track_id
        for di, det in enumerate(detections):
            if di not in used_d:
                track = Track(next(_ids), det.kind, det.box, frame, score=det.score)
                self.tracks.append(track)
                ids[di] = track.track_id
        self.tracks = [t for t in self.tracks if frame - t.frame <= self.max_coast_frames]
        return ids

    def boxes(self, frame: int) -> list[TrackedBox]:
        """Every live track's box at ``frame``, predicted and grown; what anonymisation must cover."""
        out = []
        for track in self.tracks:
            dt = frame - track.frame
            if dt > self.max_coast_frames:
                continue
            predicted = self._predicted(track, frame)
            size = max(predicted.width, predicted.height)
            margin = self.min_margin_px + size * (self.margin_frac + self.growth_frac_per_frame * max(dt, 0))
            # Unexplained motion (a first detection has no velocity yet) is bounded by the same margin.
            out.append(TrackedBox(track.track_id, track.kind, predicted.grown(margin), dt, track.score))
        return out
