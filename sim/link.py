"""The vehicle's MAVLink 2 edge: one UDP socket on 127.0.0.1, frames in and out, like PX4's link.

PX4 sends to its configured remote port from boot and answers whoever talks to it; this endpoint does
the same: it starts sending to the configured ground-station address and switches to the source of the
last valid frame. Each datagram is parsed on its own (garbage, bad CRCs and truncated frames are counted
and dropped, never allowed to eat the next datagram).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from pymavlink.dialects.v20 import common as mavlink

log = logging.getLogger(__name__)

Address = tuple[str, int]


@dataclass
class LinkStats:
    frames_in: int = 0
    frames_out: int = 0
    bytes_out: int = 0
    bad_frames: int = 0
    dropped_blocked: int = 0


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Address) -> None:  # type: ignore[override]
        self._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable while nobody listens yet: normal for a vehicle waiting for its GCS.
        pass


class MavlinkLink:
    def __init__(self, system_id: int, component_id: int, peer: Address) -> None:
        self.encoder = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self._decoder = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=component_id)
        self._decoder.robust_parsing = True
        self.peer = peer
        self.stats = LinkStats()
        self._transport: asyncio.DatagramTransport | None = None
        self.local_address: Address | None = None
        self.blocked = False
        self._on_message: Callable[[mavlink.MAVLink_message], None] = lambda msg: None

    async def open(
        self, on_message: Callable[[mavlink.MAVLink_message], None], host: str, port: int
    ) -> Address:
        self._on_message = on_message
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._on_datagram), local_addr=(host, port)
        )
        self._transport = transport
        sockname = transport.get_extra_info("sockname")
        self.local_address = (sockname[0], sockname[1])
        return self.local_address

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def send(self, msg: mavlink.MAVLink_message) -> None:
        transport = self._transport
        if transport is None:
            return
        encoder = self.encoder
        buf = msg.pack(encoder)
        encoder.seq = (encoder.seq + 1) & 0xFF
        if self.blocked:
            self.stats.dropped_blocked += 1
            return
        try:
            transport.sendto(buf, self.peer)
        except OSError:
            return
        self.stats.frames_out += 1
        self.stats.bytes_out += len(buf)

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
