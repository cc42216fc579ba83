"""Detections of one stream onto the map and the bus (``camera.<id>.detections``), kept for the API.

Runs its own pipeline on the ingest stream, independent of whether anyone watches, only when a
detector is installed: each detector run becomes one ``DetectionsMsg`` with every detection
geo-located from the frame's pose (KLV or telemetry for a gimbal, surveyed pose for a pole camera), the
camera's field of view and the region's DEM. Frames whose pose is incomplete give no map points.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from geodata.sensors import CameraIntrinsics, CameraPose
from geodata.terrain import Terrain
from ground_station.bus.base import Bus
from ground_station.bus.catalogue import topic_for
from ground_station.bus.messages import DetectionPoint, DetectionsMsg
from ground_station.video.analytics.detector import Detector
from ground_station.video.analytics.geolocate import geolocate
from ground_station.video.analytics.pipeline import AnalyticsPipeline, FrameAnalytics
from ground_station.video.analytics.tracker import TrackedBox
from ground_station.video.ingest import IngestStream, VideoFrame

log = logging.getLogger(__name__)
KEEP_MESSAGES = 500


def view_of(
    frame: VideoFrame, fixed_fov: tuple[float, float] | None
) -> tuple[CameraPose, CameraIntrinsics] | None:
    """The camera pose and intrinsics of a frame, or None when something needed is unknown."""
    pose = frame.pose
    hfov, vfov = fixed_fov if fixed_fov else (None, None)
    if frame.klv is not None and frame.klv.hfov_deg and frame.klv.vfov_deg:
        hfov, vfov = frame.klv.hfov_deg, frame.klv.vfov_deg
    values = (pose.lon, pose.lat, pose.alt_amsl_m, pose.heading_deg, pose.pitch_deg, hfov, vfov)
    if any(v is None for v in values):
        return None
    assert pose.lon is not None and pose.lat is not None and pose.alt_amsl_m is not None
    assert pose.heading_deg is not None and pose.pitch_deg is not None and hfov and vfov
    return (
        CameraPose(pose.lon, pose.lat, pose.alt_amsl_m, pose.heading_deg, pose.pitch_deg),
        CameraIntrinsics(frame.image.shape[1], frame.image.shape[0], hfov, vfov),
    )


def detections_message(
    camera_id: str,
    frame: VideoFrame,
    result: FrameAnalytics,
    terrain: Terrain,
    fixed_fov: tuple[float, float] | None,
) -> DetectionsMsg | None:
    """The map points of one detector run (raw detection boxes, not the anonymisation's grown ones)."""
    view = view_of(frame, fixed_fov)
    if view is None or not result.detected:
        return None
    pose, intrinsics = view
    tracks = [
        TrackedBox(tid, det.kind, det.box, 0, det.score)
        for tid, det in zip(result.detection_track_ids, result.detections, strict=True)
    ]
    points = geolocate(camera_id, tracks, pose, intrinsics, terrain, frame.time_utc)
    return DetectionsMsg(
        camera_id=camera_id,
        frame_seq=frame.seq,
        time_utc=frame.time_utc,
        detections=[
            DetectionPoint(
                track_id=p.track_id,
                kind=p.kind.value,
                lon=p.lon,
                lat=p.lat,
                alt_amsl_m=p.alt_amsl_m,
                uncertainty_m=p.uncertainty_m,
                range_m=p.range_m,
                score=p.score,
            )
            for p in points
        ],
    )


class DetectionPublisher:
    """One per stream; ``recent`` is what ``GET /api/video/streams/{id}/detections`` serves."""

    def __init__(
        self,
        stream: IngestStream,
        bus: Bus,
        terrain: Terrain,
        detector: Detector,
        *,
        detect_every: int | None = None,
    ) -> None:
        self.stream = stream
        self.bus = bus
        self.terrain = terrain
        self.pipeline = AnalyticsPipeline(detector, detect_every=detect_every)
        self.recent: deque[DetectionsMsg] = deque(maxlen=KEEP_MESSAGES)
        fixed = stream.source.binding.fixed
        self.fixed_fov = (fixed.hfov_deg, fixed.vfov_deg) if fixed else None
        self._task: asyncio.Task[None] | None = None

    def _step(self, frame: VideoFrame) -> DetectionsMsg | None:
        result = self.pipeline.step(frame.image)
        return detections_message(self.stream.stream_id, frame, result, self.terrain, self.fixed_fov)

    async def _run(self) -> None:
        last = -1
        while True:
            frame = await self.stream.next_frame(last, timeout_s=1.0)
            if frame is None:
                continue
            last = frame.seq
            try:
                msg = await asyncio.to_thread(self._step, frame)
            except Exception:
                log.exception("video %s: analytics failed", self.stream.stream_id)
                continue
            if msg is not None:
                self.recent.append(msg)
                await self.bus.publish(topic_for(DetectionsMsg, self.stream.stream_id), msg)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"analytics-{self.stream.stream_id}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
