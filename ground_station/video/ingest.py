"""Ingest: one task per stream that reads, binds each picture to a sensor pose, and fans it out.

Each stream is bound to a sensor on the map:

* a vehicle's gimbal: the pose comes from the picture's MISB ST 0601 KLV when it has one
  (``PoseSource.KLV``), else from the vehicle's MAVLink telemetry nearest in time
  (``PoseSource.TELEMETRY``), else none (``PoseSource.NONE``); every frame says which was used;
* a fixed camera from the region's sensors: its surveyed pose (``PoseSource.FIXED``).

Robustness: the reader is (re)opened with back-off whenever it fails; a stream with no picture for
``stall_timeout_s`` is closed and reopened and raises a ``VIDEO_STALLED`` alert on the bus ``alert``
topic, cleared (``active=False``) by the next picture. Nothing here waits without a timeout, and one
stream's failure never touches another (each has its own task, reader and decoder).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from ground_station.bus.base import Bus
from ground_station.bus.messages import AlertKind, AlertMsg, AlertSeverity, PositionMsg
from ground_station.monitor.texts import localized
from ground_station.video.av_reader import read_av
from ground_station.video.frames import DecodedFrame, ImageU8, ReceiverStats
from ground_station.video.klv import UasDatalinkSample
from ground_station.video.mjpeg_client import read_mjpeg
from ground_station.video.rtp_receiver import RtpH264Receiver
from ground_station.video.sdp import read_sdp

log = logging.getLogger(__name__)

ENDED = "the source ended"
TELEMETRY_MATCH_S = 2.0
"""A telemetry position further than this from the picture's time is not used for its pose."""


class SourceKind(StrEnum):
    RTP = "rtp"  # an SDP file describing RTP/H.264 over UDP
    MJPEG = "mjpeg"  # MJPEG over HTTP
    RTSP = "rtsp"
    FILE = "file"  # MP4 / MPEG-TS, replayed at its own rate


class StreamState(StrEnum):
    STARTING = "starting"
    LIVE = "live"
    STALLED = "stalled"
    STOPPED = "stopped"


class PoseSource(StrEnum):
    KLV = "klv"
    TELEMETRY = "telemetry"
    FIXED = "fixed"
    NONE = "none"


@dataclass(frozen=True)
class FixedPose:
    """A fixed camera's surveyed pose (from the region's sensors)."""

    lon: float
    lat: float
    alt_amsl_m: float
    heading_deg: float
    pitch_deg: float
    hfov_deg: float
    vfov_deg: float
    ground_amsl_m: float | None = None


@dataclass(frozen=True)
class SensorBinding:
    """What the stream looks through: ``vehicle_id`` for a gimbal, ``fixed`` for a pole camera."""

    sensor_id: str
    vehicle_id: str | None = None
    fixed: FixedPose | None = None

    @property
    def kind(self) -> str:
        """A fixed camera missing from the region's sensors is still fixed, with an unknown pose."""
        return "gimbal" if self.vehicle_id else "fixed"


@dataclass(frozen=True)
class SensorPose:
    source: PoseSource
    lon: float | None = None
    lat: float | None = None
    alt_amsl_m: float | None = None
    alt_agl_m: float | None = None
    heading_deg: float | None = None
    pitch_deg: float | None = None
    time_utc: datetime | None = None


@dataclass(frozen=True)
class VideoFrame:
    """A picture as the rest of the station sees it: numbered per stream, with its pose."""

    stream_id: str
    seq: int
    image: ImageU8
    received_monotonic: float
    time_utc: datetime
    pose: SensorPose
    klv: UasDatalinkSample | None
    klv_packet: bytes | None
    access_unit: bytes | None
    keyframe: bool


@dataclass(frozen=True)
class StreamSource:
    stream_id: str
    kind: SourceKind
    url: str
    binding: SensorBinding


class TelemetryPoses:
    """Recent positions of each vehicle from the bus, to pose pictures that carry no KLV."""

    def __init__(self, bus: Bus, *, keep: int = 600) -> None:
        self._bus = bus
        self._keep = keep
        self._tracks: dict[str, deque[PositionMsg]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        subscription = self._bus.subscribe("vehicle.*.position")

        async def run() -> None:
            async for _topic, msg in subscription:
                if isinstance(msg, PositionMsg):
                    self.add(msg)

        self._task = asyncio.create_task(run(), name="video-telemetry-poses")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def add(self, msg: PositionMsg) -> None:
        self._tracks.setdefault(msg.vehicle_id, deque(maxlen=self._keep)).append(msg)

    def at(self, vehicle_id: str, when: datetime) -> PositionMsg | None:
        track = self._tracks.get(vehicle_id)
        if not track:
            return None
        times = [m.time_utc for m in track]
        i = bisect.bisect_left(times, when)
        candidates = [track[j] for j in (i - 1, i) if 0 <= j < len(track)]
        best = min(candidates, key=lambda m: abs((m.time_utc - when).total_seconds()))
        return best if abs((best.time_utc - when).total_seconds()) <= TELEMETRY_MATCH_S else None


FrameOpener = Callable[[StreamSource, ReceiverStats], AsyncIterator[DecodedFrame]]


async def open_frames(source: StreamSource, stats: ReceiverStats) -> AsyncIterator[DecodedFrame]:
    """The reader for a source kind; raises on a source that cannot be opened."""
    if source.kind is SourceKind.RTP:
        receiver = RtpH264Receiver(read_sdp(Path(source.url)))
        receiver.stats = stats
        await receiver.open()
        try:
            async for frame in receiver.frames():
                yield frame
        finally:
            await receiver.close()
    elif source.kind is SourceKind.MJPEG:
        async for frame in read_mjpeg(source.url, stats=stats):
            yield frame
    else:
        async for frame in read_av(source.url, realtime=source.kind is SourceKind.FILE, stats=stats):
            yield frame


@dataclass
class IngestStats:
    frames: int = 0
    reconnects: int = 0
    stalls: int = 0
    pose_sources: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    width: int | None = None
    height: int | None = None
    resolution_changes: int = 0


class IngestStream:
    """Reads one source forever (until stopped), keeping the latest frame and feeding the sinks."""

    def __init__(
        self,
        source: StreamSource,
        *,
        bus: Bus | None,
        telemetry: TelemetryPoses | None,
        stall_timeout_s: float = 5.0,
        opener: FrameOpener = open_frames,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.source = source
        self.stall_timeout_s = stall_timeout_s
        self.state = StreamState.STARTING
        self.stats = IngestStats()
        self.reader_stats = ReceiverStats()
        self.latest: VideoFrame | None = None
        self.sinks: list[Callable[[VideoFrame], None]] = []
        self._bus = bus
        self._telemetry = telemetry
        self._opener = opener
        self._max_backoff_s = max_backoff_s
        self._new_frame = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._alert_active = False
        self._last_frame_monotonic = time.monotonic()

    @property
    def stream_id(self) -> str:
        return self.source.stream_id

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"video-ingest-{self.stream_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.state = StreamState.STOPPED

    async def next_frame(self, after_seq: int, timeout_s: float) -> VideoFrame | None:
        """The first frame newer than ``after_seq``, or None after ``timeout_s`` without one."""
        deadline = time.monotonic() + timeout_s
        while self.latest is None or self.latest.seq <= after_seq:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            event = self._new_frame
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return self.latest

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            stalled_reason = await self._read_once()
            self.stats.reconnects += 1
            if self.source.kind is SourceKind.FILE and stalled_reason == ENDED:
                await asyncio.sleep(0.2)  # a replayed file loops; its end is not a fault
                continue
            self._stalled(stalled_reason)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff_s)
            if self.state is StreamState.LIVE:
                backoff = 0.2

    async def _read_once(self) -> str:
        """Reads until the source fails, ends or stalls; returns why."""
        frames = self._opener(self.source, self.reader_stats)
        try:
            while True:
                try:
                    decoded = await asyncio.wait_for(anext(frames), self.stall_timeout_s)
                except TimeoutError:
                    self.stats.stalls += 1
                    return f"no picture within {self.stall_timeout_s:g} s"
                except StopAsyncIteration:
                    return ENDED
                self._accept(decoded)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any reader failure: report and reconnect, never crash the station
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("video %s: %s", self.stream_id, self.stats.last_error)
            return self.stats.last_error
        finally:
            with contextlib.suppress(Exception):
                await frames.aclose()  # type: ignore[attr-defined]

    def _accept(self, decoded: DecodedFrame) -> None:
        now_mono = time.monotonic()
        now = datetime.now(UTC)
        pose = self._pose_for(decoded, decoded.capture_time_utc or now)
        seq = (self.latest.seq + 1) if self.latest is not None else 0
        if self.stats.width is not None and (decoded.width, decoded.height) != (
            self.stats.width,
            self.stats.height,
        ):
            self.stats.resolution_changes += 1
            log.info("video %s: resolution now %dx%d", self.stream_id, decoded.width, decoded.height)
        self.stats.width, self.stats.height = decoded.width, decoded.height
        frame = VideoFrame(
            stream_id=self.stream_id,
            seq=seq,
            image=decoded.image,
            received_monotonic=now_mono,
            time_utc=decoded.capture_time_utc or now,
            pose=pose,
            klv=decoded.klv,
            klv_packet=decoded.klv_packet,
            access_unit=decoded.access_unit,
            keyframe=decoded.keyframe,
        )
        self.latest = frame
        self.stats.frames += 1
        self.stats.pose_sources[pose.source.value] = self.stats.pose_sources.get(pose.source.value, 0) + 1
        self._last_frame_monotonic = now_mono
        if self.state is not StreamState.LIVE:
            self.state = StreamState.LIVE
            self._alert(False, "")
        event, self._new_frame = self._new_frame, asyncio.Event()
        event.set()
        for sink in list(self.sinks):
            try:
                sink(frame)
            except Exception:  # a broken sink (recorder disk full) must not stop the picture
                log.exception("video %s: sink failed", self.stream_id)

    def _pose_for(self, decoded: DecodedFrame, when: datetime) -> SensorPose:
        binding = self.source.binding
        if binding.fixed is not None:
            f = binding.fixed
            agl = f.alt_amsl_m - f.ground_amsl_m if f.ground_amsl_m is not None else None
            return SensorPose(
                PoseSource.FIXED, f.lon, f.lat, f.alt_amsl_m, agl, f.heading_deg, f.pitch_deg, when
            )
        klv = decoded.klv
        if klv is not None and klv.sensor_lat is not None and klv.sensor_lon is not None:
            heading = None
            if klv.platform_heading_deg is not None:
                heading = (klv.platform_heading_deg + (klv.sensor_rel_azimuth_deg or 0.0)) % 360.0
            agl = None
            if klv.sensor_alt_amsl_m is not None and klv.frame_center_elev_amsl_m is not None:
                agl = klv.sensor_alt_amsl_m - klv.frame_center_elev_amsl_m
            return SensorPose(
                PoseSource.KLV,
                klv.sensor_lon,
                klv.sensor_lat,
                klv.sensor_alt_amsl_m,
                agl,
                heading,
                klv.sensor_rel_elevation_deg,
                klv.precision_time_utc or when,
            )
        if binding.vehicle_id and self._telemetry is not None:
            msg = self._telemetry.at(binding.vehicle_id, when)
            if msg is not None:
                return SensorPose(
                    PoseSource.TELEMETRY,
                    msg.lon,
                    msg.lat,
                    msg.alt_amsl_m,
                    None,
                    msg.heading_deg,
                    None,
                    msg.time_utc,
                )
        return SensorPose(PoseSource.NONE, time_utc=when)

    def _stalled(self, reason: str) -> None:
        if self.state is StreamState.STOPPED:
            return
        silent_s = time.monotonic() - self._last_frame_monotonic
        if self.state is not StreamState.STALLED and (
            self.state is StreamState.LIVE or silent_s >= self.stall_timeout_s
        ):
            self.state = StreamState.STALLED
            self._alert(True, reason, silent_s)

    def _alert(self, active: bool, reason: str, silent_s: float = 0.0) -> None:
        if not active and not self._alert_active:
            return
        self._alert_active = active
        log.log(
            logging.WARNING if active else logging.INFO,
            "video %s: %s",
            self.stream_id,
            f"stalled ({reason})" if active else "picture back",
        )
        if self._bus is None:
            return
        texts = localized(
            AlertKind.VIDEO_STALLED,
            False,
            stream=self.stream_id,
            seconds=silent_s,
            reason=reason or "recovered",
        )
        self._bus.publish_nowait(
            "alert",
            AlertMsg(
                alert_id=f"video-stalled-{self.stream_id}",
                vehicle_id=self.source.binding.vehicle_id,
                kind=AlertKind.VIDEO_STALLED,
                severity=AlertSeverity.WARNING,
                message=texts.en,
                messages=texts,
                time_utc=datetime.now(UTC),
                active=active,
            ),
        )
