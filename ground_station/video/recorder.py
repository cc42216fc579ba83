"""Recording: H.264 as it arrived (no re-encode) plus its KLV, in MPEG-TS segments.

Why MPEG-TS: it is what STANAG 4609 / MISB ST 1402 use for video with KLV, it survives truncation (a
segment cut by a crash or a full disk still plays up to the cut) and FFmpeg muxes KLV there as a data
stream tagged ``KLVA`` (stream type 0x15), so ``ffprobe`` and MISB tools see it. Each KLV packet gets
the presentation time of its picture.

Segments start on a keyframe once ``segment_s`` has passed, so every file plays on its own. Retention
is per data class: raw video is deleted after ``raw_retention_days`` and each deletion is published on
the bus ``audit`` topic. Streams without H.264 access units (MJPEG poles) are not recorded here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av

from ground_station.bus.base import Bus
from ground_station.bus.messages import AuditMsg
from ground_station.video.ingest import VideoFrame

log = logging.getLogger(__name__)

CLOCK = Fraction(1, 90_000)
DATA_CLASS_RAW = "raw_video"
_NAME_RE = re.compile(r"^(?P<stream>[A-Za-z0-9_-]+)__(?P<start>\d{8}T\d{6}\d{6}Z)\.ts$")


def recording_name(stream_id: str, start: datetime) -> str:
    return f"{stream_id}__{start.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.ts"


@dataclass(frozen=True)
class RecordingInfo:
    recording_id: str  # the file name
    stream_id: str
    start_utc: datetime
    size_bytes: int
    path: Path
    data_class: str = DATA_CLASS_RAW


def parse_recording_name(path: Path) -> RecordingInfo | None:
    match = _NAME_RE.match(path.name)
    if match is None:
        return None
    start = datetime.strptime(match["start"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    return RecordingInfo(path.name, match["stream"], start, path.stat().st_size, path)


class SegmentWriter:
    """One open MPEG-TS file: a muxed (not re-encoded) H.264 stream and a KLV data stream."""

    def __init__(self, path: Path, width: int, height: int) -> None:
        self.path = path
        self._container = av.open(str(path), "w", format="mpegts")
        self._video = self._container.add_mux_stream("h264", rate=30, width=width, height=height)
        self._video.time_base = CLOCK
        self._klv = self._container.add_data_stream("klv")
        self._klv.time_base = CLOCK
        self._t0: float | None = None
        self._last_pts = -1
        self.frames = 0

    def write(self, frame: VideoFrame) -> None:
        assert frame.access_unit is not None
        if self._t0 is None:
            self._t0 = frame.received_monotonic
        pts = max(round((frame.received_monotonic - self._t0) * 90_000), self._last_pts + 1)
        self._last_pts = pts
        packet = av.Packet(frame.access_unit)
        packet.stream = self._video
        packet.pts = packet.dts = pts
        packet.time_base = CLOCK
        packet.is_keyframe = frame.keyframe
        self._container.mux(packet)
        if frame.klv_packet is not None:
            klv = av.Packet(frame.klv_packet)
            klv.stream = self._klv
            klv.pts = klv.dts = pts
            klv.time_base = CLOCK
            self._container.mux(klv)
        self.frames += 1

    def close(self) -> None:
        self._container.close()


class StreamRecorder:
    """A sink for one ingest stream (``stream.sinks.append(recorder.on_frame)``)."""

    def __init__(self, stream_id: str, directory: Path, *, segment_s: float = 60.0) -> None:
        self.stream_id = stream_id
        self.directory = directory
        self.segment_s = segment_s
        self.segments: list[Path] = []
        self.errors = 0
        self._writer: SegmentWriter | None = None
        self._opened_monotonic = 0.0
        self._size: tuple[int, int] | None = None

    def on_frame(self, frame: VideoFrame) -> None:
        if frame.access_unit is None:
            return
        size = (frame.image.shape[1], frame.image.shape[0])
        rotate = self._writer is None or (
            frame.keyframe
            and (frame.received_monotonic - self._opened_monotonic >= self.segment_s or size != self._size)
        )
        if rotate:
            if not frame.keyframe:
                return  # a segment must start on a keyframe to play on its own
            self._open(frame, size)
        assert self._writer is not None
        try:
            self._writer.write(frame)
        except (av.error.FFmpegError, OSError) as exc:
            self.errors += 1
            log.error("recording %s: %s; starting a new segment at the next keyframe", self.stream_id, exc)
            self.close()

    def _open(self, frame: VideoFrame, size: tuple[int, int]) -> None:
        self.close()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / recording_name(self.stream_id, frame.time_utc)
        self._writer = SegmentWriter(path, *size)
        self._opened_monotonic = frame.received_monotonic
        self._size = size
        self.segments.append(path)

    def close(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except (av.error.FFmpegError, OSError) as exc:
                log.error("recording %s: closing %s failed: %s", self.stream_id, self._writer.path, exc)
            self._writer = None


def list_recordings(root: Path) -> list[RecordingInfo]:
    found = []
    if root.is_dir():
        for path in sorted(root.glob("*/*.ts")):
            info = parse_recording_name(path)
            if info is not None:
                found.append(info)
    return sorted(found, key=lambda r: (r.start_utc, r.stream_id))


def apply_retention(
    root: Path, raw_retention_days: float, *, now: datetime | None = None, busy: set[Path] | None = None
) -> list[RecordingInfo]:
    """Deletes raw recordings older than the retention (never the segments being written); returns
    what went, for :func:`audit_deletions` (file work runs in a thread, the bus lives on the loop)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=raw_retention_days)
    deleted = []
    for info in list_recordings(root):
        if info.data_class != DATA_CLASS_RAW or info.start_utc >= cutoff or (busy and info.path in busy):
            continue
        info.path.unlink(missing_ok=True)
        deleted.append(info)
        log.info("recording %s deleted by retention (%g days)", info.recording_id, raw_retention_days)
    return deleted


def audit_deletions(bus: Bus, deleted: list[RecordingInfo], raw_retention_days: float) -> None:
    for info in deleted:
        bus.publish_nowait(
            "audit",
            AuditMsg(
                time_utc=datetime.now(UTC),
                actor=None,
                action="recording_deleted",
                target=info.recording_id,
                detail={
                    "reason": "retention",
                    "data_class": info.data_class,
                    "retention_days": raw_retention_days,
                    "stream_id": info.stream_id,
                    "start_utc": info.start_utc.isoformat(),
                    "size_bytes": info.size_bytes,
                },
            ),
        )
