"""WebRTC delivery (aiortc): the browser's main path, low latency with congestion control.

The browser posts an SDP offer with a stream ticket; the station answers with a send-only video track
that reads the ingest stream's latest pictures (a slow peer skips pictures, it never queues them).
aiortc encodes per peer connection (its encoder belongs to each RTP sender), so unlike MJPEG the
encode is not shared between viewers; annotation is drawn once per picture per peer.

ICE candidates: aioice gathers host candidates on every interface except loopback. Every socket of
the station binds 127.0.0.1 unless configured otherwise (DESIGN, conventions), so the addresses ICE may
use are configured (``video.webrtc_ice_addresses``, default 127.0.0.1) and aioice's gathering is
pointed at them. A Chromium peer on loopback needs ``--allow-loopback-in-peer-connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from fractions import Fraction

import aioice.ice
import av
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from ground_station.video.delivery import Variant
from ground_station.video.ingest import IngestStream
from ground_station.video.overlay import annotate

log = logging.getLogger(__name__)

CLOCK = Fraction(1, 90_000)
MAX_PEERS = 32


def restrict_ice_addresses(addresses: Sequence[str]) -> None:
    """Makes aioice offer host candidates on exactly these addresses (process-wide)."""
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


class IngestVideoTrack(MediaStreamTrack):
    """A video track fed by an ingest stream: each ``recv`` returns the next new picture."""

    kind = "video"

    def __init__(self, stream: IngestStream, variant: Variant) -> None:
        super().__init__()
        self.stream = stream
        self.variant = variant
        self._last = stream.latest.seq - 1 if stream.latest else -1
        self._t0: float | None = None
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.stream.next_frame(self._last, timeout_s=1.0)
            if frame is not None:
                break
        self._last = frame.seq
        image = (
            annotate(frame, self.stream.source.binding.sensor_id)
            if self.variant is Variant.ANNOTATED
            else frame.image
        )
        out = av.VideoFrame.from_ndarray(image, format="bgr24")
        if self._t0 is None:
            self._t0 = frame.received_monotonic
        out.pts = round((frame.received_monotonic - self._t0) * 90_000)
        out.time_base = CLOCK
        self.sent += 1
        return out


class WebRtcPeers:
    """The open peer connections; each closes itself when its connection fails or ends."""

    def __init__(self, max_peers: int = MAX_PEERS) -> None:
        self.max_peers = max_peers
        self.peers: set[RTCPeerConnection] = set()

    async def answer(self, stream: IngestStream, variant: Variant, offer_sdp: str) -> str:
        if len(self.peers) >= self.max_peers:
            raise OverflowError(f"{len(self.peers)} WebRTC viewers already; the limit is {self.max_peers}")
        pc = RTCPeerConnection()
        self.peers.add(pc)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close(pc)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            pc.addTrack(IngestVideoTrack(stream, variant))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await self._close(pc)
            raise
        return pc.localDescription.sdp

    async def _close(self, pc: RTCPeerConnection) -> None:
        self.peers.discard(pc)
        with contextlib.suppress(Exception):
            await pc.close()

    async def close(self) -> None:
        await asyncio.gather(*(self._close(pc) for pc in list(self.peers)))
