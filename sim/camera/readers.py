"""Consumer side of the simulated cameras: receive, decode and read the metadata back.

Used by the tests and meant for the ground station's video ingest, which must not import the rest of
``sim``: this module only depends on the wire formats (rtp_h264, sei, sdp, mjpeg, metadata, codec).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType

import cv2
import httpx
import numpy as np
from numpy.typing import NDArray

from sim.camera.codec import H264Decoder, VideoDecodeError
from sim.camera.metadata import FrameMetadata, MetadataError
from sim.camera.mjpeg import (
    CAPTURE_TIME_HEADER,
    META_HEADER,
    MjpegFormatError,
    MjpegPartParser,
    boundary_from_content_type,
)
from sim.camera.rtp_h264 import AccessUnit, RtpFormatError, RtpH264Depacketizer
from sim.camera.sdp import H264SessionDescription, read_sdp
from sim.camera.sei import SeiError, find_borderwatch_payload

log = logging.getLogger(__name__)

ImageU8 = NDArray[np.uint8]
KEEPALIVE_INTERVAL_S = 1.0
MAX_ERRORS_KEPT = 20


@dataclass(frozen=True)
class DecodedFrame:
    image: ImageU8  # BGR
    metadata: FrameMetadata | None
    rtp_timestamp: int | None = None
    capture_time_utc: datetime | None = None


@dataclass
class ReceiverStats:
    datagrams: int = 0
    malformed: int = 0
    access_units: int = 0
    skipped_access_units: int = 0
    frames: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.errors.append(message)
        del self.errors[:-MAX_ERRORS_KEPT]


def metadata_from_access_unit(au: AccessUnit) -> FrameMetadata | None:
    """The borderwatch SEI metadata of an access unit; MetadataError/SeiError when it is present but bad."""
    payload = find_borderwatch_payload(au.nals)
    return None if payload is None else FrameMetadata.from_json_bytes(payload)


class _ReceiverProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: RtpH264Receiver) -> None:
        self._receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._receiver._on_datagram(data)


class RtpH264Receiver:
    """Receives the stream an SDP describes, keeps it alive, and yields decoded frames with metadata.

    Malformed datagrams, lost packets, garbage NAL units and bad metadata are counted in ``stats`` (with
    the last messages in ``stats.errors``) and skipped: one bad packet never ends the stream. After a
    loss, frames resume at the next keyframe.
    """

    def __init__(self, session: H264SessionDescription, *, queue_size: int = 30) -> None:
        self.session = session
        self.stats = ReceiverStats()
        self._depacketizer = RtpH264Depacketizer(payload_type=session.payload_type)
        self._decoder = H264Decoder()
        self._units: asyncio.Queue[AccessUnit] = asyncio.Queue(maxsize=queue_size)
        self._transport: asyncio.DatagramTransport | None = None
        self._keepalive: asyncio.Task[None] | None = None
        self._need_keyframe = True

    @classmethod
    def from_sdp_file(cls, path: Path) -> RtpH264Receiver:
        return cls(read_sdp(path))

    async def __aenter__(self) -> RtpH264Receiver:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _ReceiverProtocol(self), local_addr=(self.session.host, self.session.port)
        )
        self._transport = transport
        if self.session.keepalive_host and self.session.keepalive_port:
            self._keepalive = asyncio.create_task(self._send_keepalives())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keepalive
            self._keepalive = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def stop_keepalives(self) -> None:
        """Stay bound but stop asking for frames (the stream goes idle after its lease)."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None

    async def _send_keepalives(self) -> None:
        assert self.session.keepalive_host and self.session.keepalive_port
        target = (self.session.keepalive_host, self.session.keepalive_port)
        while self._transport is not None:
            self._transport.sendto(b"BWKA", target)
            await asyncio.sleep(KEEPALIVE_INTERVAL_S)

    def _on_datagram(self, data: bytes) -> None:
        self.stats.datagrams += 1
        try:
            units = self._depacketizer.push(data)
        except RtpFormatError as exc:
            self.stats.malformed += 1
            self.stats.note(str(exc))
            return
        for au in units:
            if self._units.full():
                self._units.get_nowait()  # consumer too slow: drop the oldest, keep live
                self.stats.skipped_access_units += 1
                self._need_keyframe = True
            self._units.put_nowait(au)

    def push_datagram(self, data: bytes) -> None:
        """Feeds a datagram as if it had arrived on the socket (for replaying captures)."""
        self._on_datagram(data)

    async def frames(self) -> AsyncIterator[DecodedFrame]:
        while True:
            au = await self._units.get()
            frame = self.decode_access_unit(au)
            if frame is not None:
                yield frame

    def decode_access_unit(self, au: AccessUnit) -> DecodedFrame | None:
        self.stats.access_units += 1
        if not au.complete or not au.nals:
            self.stats.skipped_access_units += 1
            self._need_keyframe = True
            return None
        is_idr = any(n[0] & 0x1F == 5 for n in au.nals)
        if self._need_keyframe and not is_idr:
            self.stats.skipped_access_units += 1
            return None
        try:
            images = self._decoder.decode(au.annexb())
        except VideoDecodeError as exc:
            self.stats.note(str(exc))
            self._need_keyframe = True
            return None
        self._need_keyframe = False
        try:
            meta = metadata_from_access_unit(au)
        except (SeiError, MetadataError) as exc:
            self.stats.note(f"frame metadata unreadable: {exc}")
            meta = None
        if not images:
            return None
        self.stats.frames += 1
        return DecodedFrame(
            image=images[-1],
            metadata=meta,
            rtp_timestamp=au.timestamp,
            capture_time_utc=meta.capture_time_utc if meta else None,
        )


async def read_mjpeg(url: str, *, max_frames: int, timeout_s: float = 30.0) -> AsyncIterator[DecodedFrame]:
    """Frames of an MJPEG-over-HTTP stream with their metadata; MjpegFormatError on a malformed stream."""
    async with (
        httpx.AsyncClient(timeout=timeout_s) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise MjpegFormatError(f"{url}: HTTP {response.status_code}")
        parser = MjpegPartParser(boundary_from_content_type(response.headers.get("content-type", "")))
        count = 0
        async for chunk in response.aiter_raw():
            for part in parser.feed(chunk):
                yield decode_mjpeg_part(part.headers, part.body, where=f"{url} part {part.index}")
                count += 1
                if count >= max_frames:
                    return


def decode_mjpeg_part(headers: dict[str, str], body: bytes, *, where: str) -> DecodedFrame:
    decoded = cv2.imdecode(np.frombuffer(body, dtype=np.uint8), cv2.IMREAD_COLOR)
    if decoded is None:
        raise MjpegFormatError(f"{where}: body of {len(body)} bytes is not a decodable JPEG")
    meta_text = headers.get(META_HEADER.lower())
    meta = FrameMetadata.from_json_bytes(meta_text.encode("ascii", "replace")) if meta_text else None
    capture_text = headers.get(CAPTURE_TIME_HEADER.lower())
    capture = None
    if capture_text:
        try:
            capture = datetime.fromisoformat(capture_text)
        except ValueError:
            raise MjpegFormatError(
                f"{where}: {CAPTURE_TIME_HEADER} {capture_text!r} is not ISO 8601"
            ) from None
    return DecodedFrame(image=np.asarray(decoded, dtype=np.uint8), metadata=meta, capture_time_utc=capture)
