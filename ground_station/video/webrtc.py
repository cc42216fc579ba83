"""WebRTC delivery (aiortc): the browser's main path, low latency with congestion control.

The browser posts an SDP offer with a stream ticket; the station answers with a send-only video track
that reads the ingest stream's latest pictures (a slow peer skips pictures, it never queues them).

Two paths:

* passthrough (variant ``raw`` of an H.264 source, when the offer accepts H.264): the drone's own
  access units go out as they came (SEI with its KLV included), no decode and no encode at all, so
  every viewer shares the camera's one encode. A new viewer starts at the next keyframe.
* shared (``annotated``, or MJPEG sources, with a peer that takes H.264): one x264 encode per stream
  and variant (``delivery.H264Variant``), its access units forwarded to every such peer;
* re-encode (a peer without H.264): aiortc encodes per peer connection (VP8; its encoder belongs to
  each RTP sender), the only path whose encode is not shared.

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
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from ground_station.video.delivery import DetectorFactory, H264Variant, Variant, VariantPictures
from ground_station.video.ingest import IngestStream, SourceKind

log = logging.getLogger(__name__)

CLOCK = Fraction(1, 90_000)
MAX_PEERS = 32
_LEAVING: set[asyncio.Future[None]] = set()  # viewers' leave() calls in flight (kept referenced)


def restrict_ice_addresses(addresses: Sequence[str]) -> None:
    """Makes aioice offer host candidates on exactly these addresses (process-wide)."""
    chosen = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


class IngestVideoTrack(MediaStreamTrack):
    """A video track fed by an ingest stream: each ``recv`` returns the next new picture."""

    kind = "video"

    def __init__(
        self, stream: IngestStream, variant: Variant, detector_factory: DetectorFactory | None = None
    ) -> None:
        super().__init__()
        self.stream = stream
        self.variant = variant
        self._pictures = VariantPictures(stream, variant, detector_factory)
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
        image = await asyncio.to_thread(self._pictures.picture, frame)  # privacy variants run a detector
        out = av.VideoFrame.from_ndarray(image, format="bgr24")
        if self._t0 is None:
            self._t0 = frame.received_monotonic
        out.pts = round((frame.received_monotonic - self._t0) * 90_000)
        out.time_base = CLOCK
        self.sent += 1
        return out


class PassthroughH264Track(MediaStreamTrack):
    """Forwards the ingest stream's H.264 access units unchanged (aiortc packetises ``av.Packet``s)."""

    kind = "video"

    def __init__(self, stream: IngestStream) -> None:
        super().__init__()
        self.stream = stream
        self._last = stream.latest.seq if stream.latest else -1
        self._started = False
        self._t0: float | None = None
        self.sent = 0

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self.stream.next_frame(self._last, timeout_s=1.0)
            if frame is None:
                continue
            self._last = frame.seq
            if frame.access_unit is None or not (self._started or frame.keyframe):
                continue  # a decoder can only start at a keyframe
            self._started = True
            break
        packet = av.Packet(frame.access_unit)
        if self._t0 is None:
            self._t0 = frame.received_monotonic
        packet.pts = round((frame.received_monotonic - self._t0) * 90_000)
        packet.time_base = CLOCK
        self.sent += 1
        return packet


class SharedEncodeTrack(MediaStreamTrack):
    """Forwards the access units of a shared H.264 encoder (one per stream and variant)."""

    kind = "video"

    def __init__(self, shared: H264Variant) -> None:
        super().__init__()
        self.shared = shared
        self._last = -1
        self._started = False
        self._t0: float | None = None
        shared.join()

    async def recv(self) -> av.Packet:  # type: ignore[type-arg]
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            unit = await self.shared.next_unit(self._last, timeout_s=1.0)
            if unit is None:
                continue
            self._last = unit.seq
            if self._started or unit.keyframe:
                self._started = True
                break
        packet = av.Packet(unit.annexb)
        if self._t0 is None:
            self._t0 = unit.received_monotonic
        packet.pts = round((unit.received_monotonic - self._t0) * 90_000)
        packet.time_base = CLOCK
        return packet

    def stop(self) -> None:
        if self.readyState == "live":
            task = asyncio.ensure_future(self.shared.leave())
            _LEAVING.add(task)
            task.add_done_callback(_LEAVING.discard)
        super().stop()


class WebRtcPeers:
    """The open peer connections; each closes itself when its connection fails or ends."""

    def __init__(self, max_peers: int = MAX_PEERS) -> None:
        self.max_peers = max_peers
        self.peers: set[RTCPeerConnection] = set()

    async def answer(
        self,
        stream: IngestStream,
        variant: Variant,
        offer_sdp: str,
        shared: H264Variant | None = None,
        detector_factory: DetectorFactory | None = None,
    ) -> tuple[str, str]:
        """The answer SDP and the path taken: ``passthrough``, ``shared`` or ``reencode``."""
        if len(self.peers) >= self.max_peers:
            raise OverflowError(f"{len(self.peers)} WebRTC viewers already; the limit is {self.max_peers}")
        pc = RTCPeerConnection()
        self.peers.add(pc)

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._close(pc)

        try:
            h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
            offers_h264 = "H264/90000" in offer_sdp.upper() and bool(h264)
            track: MediaStreamTrack
            if offers_h264 and variant is Variant.RAW and stream.source.kind is not SourceKind.MJPEG:
                mode, track = "passthrough", PassthroughH264Track(stream)
            elif offers_h264 and shared is not None:
                mode, track = "shared", SharedEncodeTrack(shared)
            else:
                mode, track = "reencode", IngestVideoTrack(stream, variant, detector_factory)
            # The transceiver exists before the offer is applied, so the codec preference takes part in
            # the negotiation (aiortc picks the codecs when it applies the remote description).
            transceiver = pc.addTransceiver(track, direction="sendonly")
            if mode != "reencode":
                transceiver.setCodecPreferences(h264)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except Exception:
            await self._close(pc)
            raise
        return pc.localDescription.sdp, mode

    async def _close(self, pc: RTCPeerConnection) -> None:
        self.peers.discard(pc)
        with contextlib.suppress(Exception):
            await pc.close()

    async def close(self) -> None:
        await asyncio.gather(*(self._close(pc) for pc in list(self.peers)))
