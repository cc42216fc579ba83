"""Delivery to browsers: one encoder per stream and variant, shared by all its viewers.

MJPEG (multipart/x-mixed-replace) works in a plain ``<img>`` everywhere and is the fallback when WebRTC
is blocked. The encoder task runs only while someone watches: it waits for the next ingested picture,
annotates it if the variant asks, encodes one JPEG in a worker thread and publishes it; every viewer
sends the latest JPEG it has not sent yet. A slow viewer skips pictures instead of queueing them, so it
never delays the others or grows memory (latency over completeness, as live video should).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from enum import StrEnum

import cv2

from ground_station.video.analytics.detector import Detector
from ground_station.video.analytics.pipeline import AnalyticsPipeline
from ground_station.video.analytics.variants import privacy_picture
from ground_station.video.frames import ImageU8
from ground_station.video.h264 import H264Encoder
from ground_station.video.ingest import IngestStream, VideoFrame
from ground_station.video.overlay import annotate

log = logging.getLogger(__name__)

MJPEG_BOUNDARY = "borderwatch-live"


class Variant(StrEnum):
    RAW = "raw"
    ANNOTATED = "annotated"
    ANONYMISED = "anonymised"  # people, faces, vehicles pixelated on every frame (analytics/anonymise.py)
    ANALYTIC = "analytic"  # no camera pixels: only boxes of where people and vehicles are


PRIVACY_VARIANTS = frozenset({Variant.ANONYMISED, Variant.ANALYTIC})
DetectorFactory = Callable[[], Detector | None]


class VariantPictures:
    """Turns ingested frames into one variant's pictures; for the privacy variants it owns the
    per-encoder analytics pipeline (tracker state), fed every frame in order."""

    def __init__(
        self, stream: IngestStream, variant: Variant, detector_factory: DetectorFactory | None
    ) -> None:
        self.stream = stream
        self.variant = variant
        self.pipeline = (
            AnalyticsPipeline(detector_factory() if detector_factory else None)
            if variant in PRIVACY_VARIANTS
            else None
        )

    def picture(self, frame: VideoFrame) -> ImageU8:
        """May run a detector: call it in a worker thread."""
        if self.pipeline is not None:
            return privacy_picture(
                self.pipeline,
                frame.image,
                analytic_only=self.variant is Variant.ANALYTIC,
                aerial=self.stream.source.binding.kind == "gimbal",
                klv=frame.klv,
            )
        if self.variant is Variant.ANNOTATED:
            return annotate(frame, self.stream.source.binding.sensor_id)
        return frame.image


@dataclass(frozen=True)
class EncodedFrame:
    seq: int
    jpeg: bytes
    capture_time_iso: str
    received_monotonic: float


class JpegVariant:
    """The shared JPEG encoder of one (stream, variant)."""

    def __init__(
        self,
        stream: IngestStream,
        variant: Variant,
        *,
        quality: int = 80,
        detector_factory: DetectorFactory | None = None,
    ) -> None:
        self.stream = stream
        self.variant = variant
        self._pictures = VariantPictures(stream, variant, detector_factory)
        self.quality = quality
        self.viewers = 0
        self.encoded = 0
        self.latest: EncodedFrame | None = None
        self._new = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _encode(self, image: object) -> bytes:
        if isinstance(image, VideoFrame):
            image = self._pictures.picture(image)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.quality])  # type: ignore[call-overload]
        if not ok:
            raise ValueError("JPEG encoding failed")
        return bytes(buf)

    async def _run(self) -> None:
        last = self.stream.latest.seq if self.stream.latest else -1
        while True:
            frame = await self.stream.next_frame(last, timeout_s=1.0)
            if frame is None:
                continue
            last = frame.seq
            try:
                jpeg = await asyncio.to_thread(self._encode, frame)
            except Exception:
                log.exception("video %s/%s: encode failed", self.stream.stream_id, self.variant)
                continue
            self.encoded += 1
            self.latest = EncodedFrame(frame.seq, jpeg, frame.time_utc.isoformat(), frame.received_monotonic)
            event, self._new = self._new, asyncio.Event()
            event.set()

    async def _stop_encoder(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def frames(self) -> AsyncIterator[EncodedFrame]:
        """Encoded pictures for one viewer, newest first-come; starts/stops the shared encoder."""
        self.viewers += 1
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"jpeg-{self.stream.stream_id}-{self.variant}")
        sent = -1
        try:
            while True:
                if self.latest is None or self.latest.seq <= sent:
                    event = self._new
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), 1.0)
                    continue
                current = self.latest
                sent = current.seq
                yield current
        finally:
            self.viewers -= 1
            if self.viewers == 0:
                await self._stop_encoder()

    async def close(self) -> None:
        await self._stop_encoder()


@dataclass(frozen=True)
class EncodedAccessUnit:
    seq: int
    annexb: bytes
    keyframe: bool
    received_monotonic: float


class H264Variant:
    """The shared H.264 encoder of one (stream, variant) for WebRTC viewers: encoded once, forwarded to
    every peer as it is (aiortc packetises it), so ten viewers cost one encode, not ten. A joining
    viewer asks for a keyframe instead of waiting for the next one."""

    def __init__(
        self, stream: IngestStream, variant: Variant, *, detector_factory: DetectorFactory | None = None
    ) -> None:
        self.stream = stream
        self.variant = variant
        self._pictures = VariantPictures(stream, variant, detector_factory)
        self.viewers = 0
        self.encoded = 0
        self.latest: EncodedAccessUnit | None = None
        self._encoder: H264Encoder | None = None
        self._new = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _encode_frame(self, frame: VideoFrame, pts: int) -> list[tuple[bytes, bool]]:
        return self._encode(self._pictures.picture(frame), pts)

    def _encode(self, image: ImageU8, pts: int) -> list[tuple[bytes, bool]]:
        height, width = image.shape[:2]
        if self._encoder is None or (self._encoder.width, self._encoder.height) != (width, height):
            self._encoder = H264Encoder(width - width % 2, height - height % 2, 30.0)
        return self._encoder.encode(image[: height - height % 2, : width - width % 2], pts)

    async def _run(self) -> None:
        last = self.stream.latest.seq if self.stream.latest else -1
        t0: float | None = None
        while True:
            frame = await self.stream.next_frame(last, timeout_s=1.0)
            if frame is None:
                continue
            last = frame.seq
            t0 = frame.received_monotonic if t0 is None else t0
            pts = round((frame.received_monotonic - t0) * 90_000)
            try:
                units = await asyncio.to_thread(self._encode_frame, frame, pts)
            except Exception:
                log.exception("video %s/%s: H.264 encode failed", self.stream.stream_id, self.variant)
                continue
            for annexb, keyframe in units:
                self.encoded += 1
                self.latest = EncodedAccessUnit(frame.seq, annexb, keyframe, frame.received_monotonic)
                event, self._new = self._new, asyncio.Event()
                event.set()

    def join(self) -> None:
        self.viewers += 1
        if self._encoder is not None:
            self._encoder.request_keyframe()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"h264-{self.stream.stream_id}-{self.variant}")

    async def leave(self) -> None:
        self.viewers = max(0, self.viewers - 1)
        if self.viewers == 0:
            await self.close()

    async def next_unit(self, after_seq: int, timeout_s: float) -> EncodedAccessUnit | None:
        if self.latest is None or self.latest.seq <= after_seq:
            event = self._new
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout_s)
        latest = self.latest
        return latest if latest is not None and latest.seq > after_seq else None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def mjpeg_part(frame: EncodedFrame) -> bytes:
    head = (
        f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
        f"X-Frame-Seq: {frame.seq}\r\nX-Capture-Time: {frame.capture_time_iso}\r\n\r\n"
    )
    return head.encode("ascii") + frame.jpeg + b"\r\n"
