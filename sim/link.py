"""The vehicle's MAVLink 2 edge: one UDP socket on 127.0.0.1, frames in and out, like PX4's link.

PX4 sends to its configured remote port from boot and answers whoever talks to it; this endpoint does
the same: it starts sending to the configured ground-station address and switches to the source of the
last valid frame. Each datagram is parsed on its own (garbage, bad CRCs and truncated frames are counted
and dropped, never allowed to eat the next datagram).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

from pymavlink.dialects.v20 import common as mavlink

from sim.mavlink_codec import FrameEncoder

log = logging.getLogger(__name__)

Address = tuple[str, int]


@dataclass
class LinkStats:
    frames_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    bad_frames: int = 0
    dropped_blocked: int = 0


class MavlinkLink:
    def __init__(self, system_id: int, component_id: int, peer: Address) -> None:
        # ``encoder`` builds message objects (pymavlink's *_encode helpers); ``frames`` puts them on the wire.
        self.encoder = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self.frames = FrameEncoder(system_id, component_id)
        self._decoder = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self._decoder.robust_parsing = True
        self.peer = peer
        self.stats = LinkStats()
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.local_address: Address | None = None
        self.blocked = False
        self._on_message: Callable[[mavlink.MAVLink_message], None] = lambda msg: None

    async def open(
        self, on_message: Callable[[mavlink.MAVLink_message], None], host: str, port: int
    ) -> Address:
        """Binds the vehicle's own port; the event loop calls back on readable (no transport layer: the
        send path is the hot path of a 50-vehicle world, so it is a plain non-blocking ``sendto``)."""
        self._on_message = on_message
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        sock.bind((host, port))
        self._sock = sock
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable)
        name = sock.getsockname()
        self.local_address = (name[0], name[1])
        return self.local_address

    def set_signing_key(self, key: bytes | None, initial_timestamp: int = 0) -> None:
        """Signs every frame sent and refuses unsigned or badly signed ones (None or zeros: off).

        The decoder is pymavlink's own, whose ``signing`` state checks the signature and the per-stream
        timestamps; a refused frame comes out as BAD_DATA and is counted like any bad frame."""
        if key is not None and not any(key):
            key = None
        self.frames.signing_key = key
        self.frames.signing_timestamp = max(self.frames.signing_timestamp, initial_timestamp)
        self._decoder.signing.secret_key = key
        self._decoder.signing.stream_timestamps = {}
        self._decoder.signing.allow_unsigned_callback = None

    @property
    def signing(self) -> bool:
        return self.frames.signing_key is not None

    def close(self) -> None:
        if self._sock is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def send(self, msg: mavlink.MAVLink_message) -> None:
        sock = self._sock
        if sock is None:
            return
        frame = self.frames.encode(msg)
        if self.blocked:
            self.stats.dropped_blocked += 1
            return
        try:
            sock.sendto(frame, self.peer)
        except OSError:  # buffer full or ICMP unreachable while nobody listens: a radio just loses it
            return
        self.stats.frames_out += 1
        self.stats.bytes_out += len(frame)

    def _on_readable(self) -> None:
        sock = self._sock
        for _ in range(64):
            if sock is None:
                return
            try:
                data, addr = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # ICMP errors surface here on Linux; they are not data
            self._on_datagram(data, (addr[0], addr[1]))
            sock = self._sock

    def _on_datagram(self, data: bytes, addr: Address) -> None:
        if self.blocked:
            self.stats.dropped_blocked += 1
            return
        decoder = self._decoder
        # A fresh parse per datagram: a truncated frame must not swallow the next datagram's bytes.
        decoder.buf = bytearray()
        decoder.buf_index = 0
        decoder.expected_length = mavlink.HEADER_LEN_V1 + 2
        try:
            messages = decoder.parse_buffer(data) or []
        except Exception:  # pymavlink raises a zoo of errors on hostile input; none may stop the vehicle
            self.stats.bad_frames += 1
            return
        for msg in messages:
            kind = msg.get_type()
            if kind == "BAD_DATA" or kind.startswith("UNKNOWN"):
                self.stats.bad_frames += 1
                continue
            self.stats.frames_in += 1
            self.peer = addr
            try:
                self._on_message(msg)
            except Exception:
                log.exception("vehicle failed to handle %s from %s", msg.get_type(), addr)
