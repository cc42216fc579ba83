"""A minimal RTSP server (RFC 2326) for one camera: how most IP cameras are read.

Supports what players and FFmpeg use: OPTIONS, DESCRIBE (SDP with H.264, packetization-mode 1),
SETUP with RTP over UDP (``client_port``) or interleaved in the TCP connection (``interleaved``),
PLAY, GET_PARAMETER (keepalive) and TEARDOWN. Each playing session renders and encodes its own H.264
(IDR first, SPS/PPS on every keyframe); pictures are rendered only while someone plays. Bad requests
get a clear status line (400, 405, 454, 461) and the connection survives them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sim.camera.codec import H264Encoder
from sim.camera.feed import CameraFeed, FeedSnapshot
from sim.camera.rtp_h264 import H264_CLOCK_HZ, RtpH264Packetizer

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16 * 1024
METHODS = "OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN"


@dataclass
class _Session:
    session_id: str
    interleaved: int | None = None  # RTP channel on the TCP connection
    udp_target: tuple[str, int] | None = None
    task: asyncio.Task[None] | None = None


class RtspCameraServer:
    def __init__(self, feed: CameraFeed, *, host: str, port: int) -> None:
        self.feed = feed
        self.host = host
        self._requested_port = port
        self.port = 0
        self.frames_sent = 0
        self.sessions_played = 0
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"rtsp-{feed.spec.id}")
        self._playing: set[asyncio.Task[None]] = set()

    @property
    def stream_url(self) -> str:
        return f"rtsp://{self.host}:{self.port}/{self.feed.spec.id}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, self.host, self._requested_port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=(self.host, 0)
        )

    async def stop(self) -> None:
        for task in list(self._playing):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._udp is not None:
            self._udp.close()
        self._executor.shutdown(wait=True)

    def _sdp(self) -> str:
        spec = self.feed.spec
        return "\r\n".join(
            [
                "v=0",
                f"o=- {secrets.randbits(32)} 1 IN IP4 {self.host}",
                f"s=borderwatch camera {spec.id}",
                f"c=IN IP4 {self.host}",
                "t=0 0",
                "a=control:*",
                "m=video 0 RTP/AVP 96",
                f"a=rtpmap:96 H264/{H264_CLOCK_HZ}",
                "a=fmtp:96 packetization-mode=1;profile-level-id=42c01f",
                f"a=framerate:{spec.fps:g}",
                "a=control:trackID=0",
                "",
            ]
        )

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session: _Session | None = None
        peer_host = writer.get_extra_info("peername")[0]
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    self._reply(writer, 400, "0", extra="", body="request too long")
                    return
                if head.startswith(b"$"):  # interleaved RTCP from the client: not used, skip
                    continue
                status, headers, body, session = self._handle(head, session, peer_host, writer)
                cseq = headers.get("cseq", "0")
                self._reply(writer, status, cseq, extra=body[0], body=body[1])
                await writer.drain()
                if (
                    session is not None
                    and status == 200
                    and head.startswith(b"PLAY")
                    and session.task is None
                ):
                    session.task = asyncio.create_task(self._play(session, writer))
                    self._playing.add(session.task)
                    self.sessions_played += 1
                if head.startswith(b"TEARDOWN"):
                    return
        finally:
            if session is not None and session.task is not None:
                session.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await session.task
                self._playing.discard(session.task)
            writer.close()

    def _handle(
        self, head: bytes, session: _Session | None, peer_host: str, writer: asyncio.StreamWriter
    ) -> tuple[int, dict[str, str], tuple[str, str], _Session | None]:
        try:
            text = head.decode("ascii")
            request_line, *header_lines = text.split("\r\n")
            method, _url, version = request_line.split(" ")
            headers = {}
            for line in header_lines:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
        except ValueError:
            return 400, {}, ("", "malformed request"), session
        if not version.startswith("RTSP/1."):
            return 400, headers, ("", f"unsupported protocol {version}"), session
        if method == "OPTIONS":
            return 200, headers, (f"Public: {METHODS}\r\n", ""), session
        if method == "DESCRIBE":
            return (
                200,
                headers,
                (f"Content-Base: {self.stream_url}/\r\nContent-Type: application/sdp\r\n", self._sdp()),
                session,
            )
        if method == "SETUP":
            session = session or _Session(secrets.token_hex(8))
            transport = headers.get("transport", "")
            try:
                reply = self._setup(transport, session, peer_host)
            except ValueError:
                return 461, headers, ("", f"unsupported Transport {transport[:80]!r}"), session
            extra = f"Transport: {reply}\r\nSession: {session.session_id};timeout=60\r\n"
            return 200, headers, (extra, ""), session
        if method in ("PLAY", "GET_PARAMETER", "TEARDOWN"):
            if session is None:
                return 454, headers, ("", "session not found: SETUP first"), session
            extra = f"Session: {session.session_id}\r\n"
            if method == "PLAY":
                extra += f"Range: npt=0.000-\r\nRTP-Info: url={self.stream_url}/trackID=0\r\n"
            return 200, headers, (extra, ""), session
        return 405, headers, (f"Allow: {METHODS}\r\n", ""), session

    def _setup(self, transport: str, session: _Session, peer_host: str) -> str:
        """The Transport reply; ValueError for transports we do not offer or cannot read."""
        if "interleaved=" in transport:
            channel = int(transport.split("interleaved=")[1].split("-")[0].split(";")[0])
            session.interleaved = channel
            return f"RTP/AVP/TCP;unicast;interleaved={channel}-{channel + 1}"
        if "client_port=" in transport:
            port = int(transport.split("client_port=")[1].split("-")[0].split(";")[0])
            if not 0 < port < 65535:
                raise ValueError(f"client port {port}")
            session.udp_target = (peer_host, port)
            assert self._udp is not None
            server = int(self._udp.get_extra_info("sockname")[1])
            return f"RTP/AVP;unicast;client_port={port}-{port + 1};server_port={server}-{server + 1}"
        raise ValueError("no interleaved= or client_port=")

    @staticmethod
    def _reply(writer: asyncio.StreamWriter, status: int, cseq: str, *, extra: str, body: str) -> None:
        reason = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 454: "Session Not Found",
                  461: "Unsupported Transport"}.get(status, "Error")  # fmt: skip
        payload = body.encode("ascii")
        head = f"RTSP/1.0 {status} {reason}\r\nCSeq: {cseq}\r\n{extra}Content-Length: {len(payload)}\r\n\r\n"
        writer.write(head.encode("ascii") + payload)

    async def _play(self, session: _Session, writer: asyncio.StreamWriter) -> None:
        spec = self.feed.spec
        encoder = H264Encoder(spec.width, spec.height, spec.fps)
        packetizer = RtpH264Packetizer(secrets.randbits(32), initial_sequence=secrets.randbits(16))
        loop = asyncio.get_running_loop()
        period = 1.0 / spec.fps
        t0 = time.monotonic()
        last_pts = -1

        def produce(snap: FeedSnapshot) -> list[bytes]:
            nonlocal last_pts
            captured = self.feed.render(snap)
            pts = max(int((time.monotonic() - t0) * H264_CLOCK_HZ), last_pts + 1)
            last_pts = pts
            return [
                p for nals in encoder.encode(captured.image, pts) for p in packetizer.packetize(nals, pts)
            ]

        deadline = time.monotonic()
        while True:
            packets = await loop.run_in_executor(self._executor, produce, self.feed.snapshot())
            for packet in packets:
                if session.interleaved is not None:
                    writer.write(
                        b"$" + bytes([session.interleaved]) + struct.pack("!H", len(packet)) + packet
                    )
                elif session.udp_target is not None and self._udp is not None:
                    self._udp.sendto(packet, session.udp_target)
            if session.interleaved is not None:
                await writer.drain()
            self.frames_sent += 1
            deadline += period
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            if deadline < time.monotonic() - period:
                deadline = time.monotonic()
