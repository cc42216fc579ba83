"""A UDP man-in-the-middle between a ground station and a vehicle, to make link loss the way a radio does.

Design contract 7: link loss is made *between* the station and the vehicle, not inside either, so the
same test runs against the built-in simulator and against real PX4 SITL. The proxy mirrors the recorder
used for the PX4 reference traces: the vehicle sends to ``vehicle_side`` (where it expects the station),
the proxy forwards to the station's port and relays the replies back. While blocked, datagrams in both
directions are dropped (and optionally recorded as not forwarded), exactly like a radio blackout.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

Address = tuple[str, int]


@dataclass
class LinkCounters:
    to_station: int = 0
    to_vehicle: int = 0
    dropped_to_station: int = 0
    dropped_to_vehicle: int = 0


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Address], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self._on_datagram(data, addr)


@dataclass
class UdpLinkProxy:
    """Relays vehicle <-> station datagrams; ``block()``/``unblock()`` make and end a blackout.

    ``vehicle_listen`` is the port the vehicle sends to (e.g. 14541); ``station_addr`` is where the station
    listens. The station sees the proxy's second socket as the vehicle, as it would see a radio modem.
    """

    vehicle_listen: Address
    station_addr: Address
    record_to: Path | None = None
    counters: LinkCounters = field(default_factory=LinkCounters)
    blocked: bool = False
    _vehicle_transport: asyncio.DatagramTransport | None = None
    _station_transport: asyncio.DatagramTransport | None = None
    _vehicle_peer: Address | None = None
    _record: BinaryIO | None = None

    async def start(self) -> UdpLinkProxy:
        loop = asyncio.get_running_loop()
        self._vehicle_transport, _ = await loop.create_datagram_endpoint(
            lambda: _Side(self._from_vehicle), local_addr=self.vehicle_listen
        )
        self._station_transport, _ = await loop.create_datagram_endpoint(
            lambda: _Side(self._from_station), local_addr=("127.0.0.1", 0)
        )
        if self.record_to is not None:
            self._record = self.record_to.open("wb")
        return self

    @property
    def vehicle_side_port(self) -> int:
        assert self._vehicle_transport is not None
        return int(self._vehicle_transport.get_extra_info("sockname")[1])

    @property
    def station_side_address(self) -> Address:
        """Where the station sees the vehicle: the proxy's own station-side socket."""
        assert self._station_transport is not None
        host, port = self._station_transport.get_extra_info("sockname")[:2]
        return (str(host), int(port))

    def block(self) -> None:
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    async def blackout(self, seconds: float) -> None:
        """Blocks both directions for ``seconds`` of wall-clock time (link liveness is wall-clock)."""
        self.block()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.unblock()

    def flush_record(self) -> None:
        """Makes everything recorded so far readable from ``record_to`` while the proxy keeps running."""
        if self._record is not None:
            self._record.flush()

    def _write_record(self, data: bytes) -> None:
        if self._record is not None:
            self._record.write(struct.pack(">Q", int(time.time() * 1e6)) + data)

    def _from_vehicle(self, data: bytes, addr: Address) -> None:
        self._vehicle_peer = addr
        self._write_record(data)
        if self.blocked:
            self.counters.dropped_to_station += 1
            return
        assert self._station_transport is not None
        self._station_transport.sendto(data, self.station_addr)
        self.counters.to_station += 1

    def _from_station(self, data: bytes, addr: Address) -> None:
        self._write_record(data)
        if self.blocked or self._vehicle_peer is None:
            self.counters.dropped_to_vehicle += 1
            return
        assert self._vehicle_transport is not None
        self._vehicle_transport.sendto(data, self._vehicle_peer)
        self.counters.to_vehicle += 1

    async def stop(self) -> None:
        for transport in (self._vehicle_transport, self._station_transport):
            if transport is not None:
                transport.close()
        if self._record is not None:
            self._record.close()
            self._record = None
