"""The station's video service: builds ingest streams from the configuration and the region's sensors,
and owns their recorders, shared encoders and tickets. Started and stopped by the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from geodata.terrain import Terrain
from ground_station.bus.base import Bus
from ground_station.config import StationSettings
from ground_station.video.analytics.foreground import ForegroundDetector
from ground_station.video.analytics.publisher import DetectionPublisher
from ground_station.video.delivery import DetectorFactory, H264Variant, JpegVariant, Variant
from ground_station.video.ingest import (
    FixedPose,
    IngestStream,
    SensorBinding,
    SourceKind,
    StreamSource,
    TelemetryPoses,
)
from ground_station.video.recorder import RecordingInfo, StreamRecorder, apply_retention, audit_deletions
from ground_station.video.tickets import TicketBook
from ground_station.video.webrtc import WebRtcPeers, restrict_ice_addresses

log = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 3600.0
STOP_STEP_S = 5.0


def source_kind(url: str, sdp_path: Path | None = None) -> SourceKind:
    if sdp_path is not None or url.endswith(".sdp"):
        return SourceKind.RTP
    if url.startswith(("http://", "https://")):
        return SourceKind.MJPEG
    if url.startswith("rtsp://"):
        return SourceKind.RTSP
    return SourceKind.FILE


def fixed_pose_of(camera: Any, region: Any | None) -> FixedPose | None:
    """A region camera's pose, standing on the region's terrain (unknown ground: no AGL)."""
    ground: float | None = None
    terrain = getattr(region, "terrain", None)
    if terrain is not None:
        with contextlib.suppress(Exception):
            value = float(terrain.elevation_amsl_m(camera.lon, camera.lat))
            ground = value if math.isfinite(value) else None
    return FixedPose(
        lon=camera.lon,
        lat=camera.lat,
        alt_amsl_m=(ground or 0.0) + camera.mount_height_agl_m,
        heading_deg=camera.heading_deg,
        pitch_deg=-camera.tilt_deg,
        hfov_deg=camera.hfov_deg,
        vfov_deg=camera.vfov_deg,
        ground_amsl_m=ground,
    )


def sources_from_settings(settings: StationSettings, region: Any | None) -> list[StreamSource]:
    region_cameras = {c.id: c for c in getattr(region, "cameras", None) or []}

    def binding(sensor_id: str, vehicle: str | None) -> SensorBinding:
        if vehicle:
            return SensorBinding(sensor_id, vehicle_id=vehicle)
        camera = region_cameras.get(sensor_id)
        return SensorBinding(sensor_id, fixed=fixed_pose_of(camera, region) if camera else None)

    sources = []
    for camera in settings.cameras:
        url = str(camera.sdp_path) if camera.sdp_path else camera.stream_url
        kind = source_kind(url, camera.sdp_path)
        sources.append(StreamSource(camera.id, kind, url, binding(camera.id, camera.vehicle_slug)))
    for extra in settings.video.sources:
        sources.append(
            StreamSource(extra.id, source_kind(extra.url), extra.url, binding(extra.id, extra.vehicle_slug))
        )
    return sources


def detector_factory_for(name: str) -> DetectorFactory:
    """The configured detector (``[video] detector``); imports onnxruntime only when it is asked for."""
    if name == "foreground":
        return ForegroundDetector
    if name == "centerface":
        from ground_station.video.analytics.centerface import CenterFaceDetector

        return CenterFaceDetector
    if name == "yolov8n":
        # Optional extra, AGPL-3.0 weights (analytics/SOURCES.md): only when configured.
        from ground_station.video.analytics.stack import PeopleVehiclesDetector

        return PeopleVehiclesDetector
    raise ValueError(f"unknown video detector {name!r}")


class VideoService:
    def __init__(self, settings: StationSettings, bus: Bus, region: Any | None) -> None:
        self.settings = settings
        self.bus = bus
        self.region = region
        self.tickets = TicketBook(settings.video.ticket_ttl_s)
        self.telemetry = TelemetryPoses(bus)
        self.streams: dict[str, IngestStream] = {}
        self.recorders: dict[str, StreamRecorder] = {}
        self.variants: dict[tuple[str, Variant], JpegVariant] = {}
        self.webrtc = WebRtcPeers()
        self.h264_variants: dict[tuple[str, Variant], H264Variant] = {}
        # Makes one detector per privacy-variant encoder. None: no detector installed, so the anonymised
        # variant pixelates whole frames and the analytic variant shows no boxes (fail-closed).
        self.detector_factory: DetectorFactory | None = None
        self.detection_publishers: dict[str, DetectionPublisher] = {}
        self._retention_task: asyncio.Task[None] | None = None
        self.sources = sources_from_settings(settings, region) if settings.video.enabled else []

    @property
    def recordings_dir(self) -> Path:
        return self.settings.recordings_dir

    async def start(self) -> None:
        if not self.settings.video.enabled:
            return
        restrict_ice_addresses(self.settings.video.webrtc_ice_addresses)
        await self.telemetry.start()
        for source in self.sources:
            self.add_stream(source)
        self._start_configured_analytics()
        self._retention_task = asyncio.create_task(self._retention_loop(), name="video-retention")

    def add_stream(self, source: StreamSource) -> IngestStream:
        stream = IngestStream(
            source,
            bus=self.bus,
            telemetry=self.telemetry,
            stall_timeout_s=self.settings.video.stall_timeout_s,
        )
        if self.settings.video.record:
            recorder = StreamRecorder(
                source.stream_id,
                self.recordings_dir / source.stream_id,
                segment_s=self.settings.video.segment_s,
            )
            stream.sinks.append(recorder.on_frame)
            self.recorders[source.stream_id] = recorder
        self.streams[source.stream_id] = stream
        stream.start()
        return stream

    def _start_configured_analytics(self) -> None:
        name = self.settings.video.detector
        terrain = getattr(self.region, "terrain", None)
        if name == "none":
            return
        try:
            factory = detector_factory_for(name)
            factory()  # fails now (weights missing) rather than inside every encoder
        except Exception:
            log.exception(
                "video analytics: detector %r unavailable; anonymised video stays whole-frame", name
            )
            return
        if terrain is None:
            self.detector_factory = factory  # anonymisation works; no map points without a DEM
            log.warning("video analytics: no region terrain, detections are not geo-located")
            return
        self.start_analytics(factory, terrain)

    def start_analytics(self, detector_factory: DetectorFactory, terrain: Terrain) -> None:
        """Installs a detector: privacy variants created from now on use it, and every stream's
        detections are geo-located on ``terrain`` and published on ``camera.<id>.detections``."""
        self.detector_factory = detector_factory
        for stream_id, stream in self.streams.items():
            detector = detector_factory()
            if detector is None or stream_id in self.detection_publishers:
                continue
            publisher = DetectionPublisher(stream, self.bus, terrain, detector)
            self.detection_publishers[stream_id] = publisher
            publisher.start()

    def variant(self, stream_id: str, variant: Variant) -> JpegVariant:
        key = (stream_id, variant)
        if key not in self.variants:
            self.variants[key] = JpegVariant(
                self.streams[stream_id],
                variant,
                quality=self.settings.video.jpeg_quality,
                detector_factory=self.detector_factory,
            )
        return self.variants[key]

    def h264_variant(self, stream_id: str, variant: Variant) -> H264Variant:
        key = (stream_id, variant)
        if key not in self.h264_variants:
            self.h264_variants[key] = H264Variant(
                self.streams[stream_id], variant, detector_factory=self.detector_factory
            )
        return self.h264_variants[key]

    def busy_segments(self) -> set[Path]:
        return {r.segments[-1] for r in self.recorders.values() if r.segments}

    async def _retention_loop(self) -> None:
        while True:
            try:
                await self.retention_pass()
            except Exception:
                log.exception("video retention pass failed")
            await asyncio.sleep(RETENTION_INTERVAL_S)

    async def retention_pass(self, now: datetime | None = None) -> list[RecordingInfo]:
        days = self.settings.video.raw_retention_days
        deleted = await asyncio.to_thread(
            apply_retention, self.recordings_dir, days, now=now, busy=self.busy_segments()
        )
        audit_deletions(self.bus, deleted, days)
        return deleted

    async def stop(self) -> None:
        """Stops everything, each part within ``STOP_STEP_S``: a peer or a reader that does not let go
        is logged and left behind rather than holding the station's shutdown hostage."""
        if self._retention_task is not None:
            self._retention_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention_task
        steps: list[tuple[str, Any]] = [("webrtc peers", self.webrtc.close())]
        steps += [(f"encoder {sid}/{variant}", v.close()) for (sid, variant), v in self.variants.items()]
        steps += [(f"h264 {sid}/{variant}", v.close()) for (sid, variant), v in self.h264_variants.items()]
        steps += [(f"analytics {sid}", p.close()) for sid, p in self.detection_publishers.items()]
        steps += [(f"ingest {sid}", stream.stop()) for sid, stream in self.streams.items()]
        steps.append(("telemetry poses", self.telemetry.stop()))
        for what, step in steps:
            try:
                await asyncio.wait_for(step, STOP_STEP_S)
            except TimeoutError:
                log.error("video: stopping %s took more than %g s; left behind", what, STOP_STEP_S)
            except Exception:
                log.exception("video: stopping %s failed", what)
        for recorder in self.recorders.values():
            recorder.close()
