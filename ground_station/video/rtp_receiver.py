"""Receives an RTP/H.264 stream that an SDP describes: depacketise, read the KLV, decode.

Malformed datagrams, lost packets, garbage NAL units and bad KLV are counted in ``stats`` (last
messages in ``stats.errors``) and skipped: one bad packet never ends the stream, and after a loss frames
resume at the next keyframe. When the SDP names a keepalive address (our simulator's lease), keepalives
go there every second; real cameras' SDPs lack it and nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from ground_station.video.frames import DecodedFrame, ImageU8, ReceiverStats
from ground_station.video.h264 import H264Decoder, VideoDecodeError
from ground_station.video.klv import ST0601_KEY, KlvError, decode_st0601
from ground_station.video.rtp import AccessUnit, RtpFormatError, RtpH264Depacketizer
from ground_station.video.sdp import H264SessionDescription, read_sdp
from ground_station.video.sei import SeiError, user_data_of

log = logging.getLogger(__name__)

KEEPALIVE_INTERVAL_S = 1.0
MAX_BACKLOG = 8
"""Access units waiting to be decoded before the receiver skips to the newest keyframe."""


def frame_from_access_unit(
    au: AccessUnit, images: list[ImageU8], stats: ReceiverStats
) -> DecodedFrame | None:
    """Pairs the last decoded image of an access unit with its KLV and other SEI user data."""
    try:
        user_data = user_data_of(au.nals)
    except SeiError as exc:
        stats.note(f"SEI unreadable: {exc}")
        user_data = []
    klv = packet = None
    others = []
    for sei_uuid, payload in user_data:
        if payload.startswith(ST0601_KEY):
            stats.klv_packets += 1
            try:
                klv, packet = decode_st0601(payload), payload
            except KlvError as exc:
                stats.klv_errors += 1
                stats.note(f"KLV refused: {exc}")
        else:
            others.append((sei_uuid, payload))
    if not images:
        return None
    stats.frames += 1
    return DecodedFrame(
        image=images[-1],
        klv=klv,
        klv_packet=packet,
        rtp_timestamp=au.timestamp,
        capture_time_utc=klv.precision_time_utc if klv else None,
        access_unit=au.annexb(),
        keyframe=au.is_idr,
        user_data=tuple(others),
    )


class _ReceiverProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: RtpH264Receiver) -> None:
        self._receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._receiver._on_datagram(data)


class RtpH264Receiver:
    """Binds the SDP's ``m=`` port, keeps the sender alive, and yields decoded frames with their KLV."""

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
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _ReceiverProtocol(self), local_addr=(self.session.host, self.session.port)
        )
        self._transport = transport
        if self.session.keepalive_host and self.session.keepalive_port:
            self._keepalive = asyncio.create_task(self._send_keepalives())

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
        """Stay bound but stop asking for frames (the simulator's stream goes idle after its lease)."""
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
                self._units.get_nowait()  # consumer too slow (or flooded): drop the oldest, keep live
                self.stats.skipped_access_units += 1
                self._need_keyframe = True
            self._units.put_nowait(au)

    def push_datagram(self, data: bytes) -> None:
        """Feeds a datagram as if it had arrived on the socket (for replaying captures)."""
        self._on_datagram(data)

    async def frames(self) -> AsyncIterator[DecodedFrame]:
        """Decodes in a worker thread (FFmpeg releases the GIL), one access unit at a time, so a
        1280x720 decode never stalls the event loop that serves viewers and other streams."""
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="h264-decode") as executor:
            while True:
                au = await self._units.get()
                au = self._cut_backlog(au)
                frame = await loop.run_in_executor(executor, self.decode_access_unit, au)
                if frame is not None:
                    yield frame

    def _cut_backlog(self, head: AccessUnit) -> AccessUnit:
        """Live video must not lag: when decoding falls more than ``MAX_BACKLOG`` pictures behind, jump
        to the newest keyframe queued (the pictures before it are skipped, counted). Without one, keep
        decoding until the backlog reaches twice the limit, then drop it and wait for the next keyframe."""
        if self._units.qsize() < MAX_BACKLOG:
            return head
        queued = [head]
        while not self._units.empty():
            queued.append(self._units.get_nowait())
        last_idr = max((i for i, unit in enumerate(queued) if unit.is_idr), default=0)
        if last_idr == 0 and len(queued) >= 2 * MAX_BACKLOG:
            last_idr = len(queued) - 1
            self._need_keyframe = True
        self.stats.skipped_access_units += last_idr
        for unit in queued[last_idr + 1 :]:
            self._units.put_nowait(unit)
        return queued[last_idr]

    def decode_access_unit(self, au: AccessUnit) -> DecodedFrame | None:
        self.stats.access_units += 1
        if not au.complete or not au.nals:
            self.stats.skipped_access_units += 1
            self._need_keyframe = True
            return None
        if self._need_keyframe and not au.is_idr:
            self.stats.skipped_access_units += 1
            return None
        try:
            images = self._decoder.decode(au.annexb())
        except VideoDecodeError as exc:
            self.stats.decode_errors += 1
            self.stats.note(str(exc))
            self._need_keyframe = True
            return None
        self._need_keyframe = False
        return frame_from_access_unit(au, images, self.stats)
