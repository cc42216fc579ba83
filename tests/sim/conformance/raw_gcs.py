"""A raw pymavlink ground station (255/190, HEARTBEAT type GCS at 1 Hz) like the client of trace d.

MAVSDK hides the protocol edges (it retries, it answers for us), so trace d was recorded with plain
pymavlink; this client does the same over a real UDP socket and keeps every frame it receives with
its wall-clock arrival time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import common as mavlink

Message = Any  # a pymavlink MAVLink_message
Predicate = Callable[[Message], bool]


@dataclass
class Received:
    t: float
    msg: Message


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self, gcs: RawGcs) -> None:
        self._gcs = gcs

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._gcs.on_datagram(data, addr)


@dataclass
class RawGcs:
    system_id: int = 255
    component_id: int = 190
    received: list[Received] = field(default_factory=list)
    vehicle_addr: tuple[str, int] | None = None
    heartbeats_on: bool = True
    # Vehicle time on the wire -> the clock its link timers run on (``RecordedLink.boot_to_link``); None
    # measures protocol timing on this client's wall clock.
    boot_to_link: Callable[[float], float] | None = None

    def __post_init__(self) -> None:
        self.mav = mavlink.MAVLink(None, srcSystem=self.system_id, srcComponent=self.component_id)
        self._parser = mavlink.MAVLink(None)
        self._parser.robust_parsing = True
        self._transport: asyncio.DatagramTransport | None = None
        self._arrived = asyncio.Event()

    def on_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        self.vehicle_addr = addr
        now = time.time()
        for msg in self._parser.parse_buffer(data) or []:
            if msg.get_type() != "BAD_DATA":
                self.received.append(Received(now, msg))
        self._arrived.set()

    def send(self, msg: Message) -> None:
        assert self._transport is not None and self.vehicle_addr is not None, "no vehicle heard yet"
        self._transport.sendto(msg.pack(self.mav), self.vehicle_addr)
        self.mav.seq = (self.mav.seq + 1) & 0xFF

    def command_long(
        self, command: int, *params: float, target: tuple[int, int] = (1, 1), confirmation: int = 0
    ) -> float:
        values = [*params, *([0.0] * (7 - len(params)))]
        sent = time.time()
        self.send(self.mav.command_long_encode(target[0], target[1], command, confirmation, *values))
        return sent

    def boot_s_at(self, t: float) -> float:
        """The vehicle's own clock (ATTITUDE.time_boot_ms, 100 Hz) at wall time ``t``, interpolated
        between the ATTITUDEs around it: PX4 SITL runs in lockstep and slower than real time on a busy
        machine, so what PX4 times itself is compared on this clock."""
        before = after = None
        for r in reversed(self.received):
            if r.msg.get_type() != "ATTITUDE":
                continue
            if r.t > t:
                after = r
            else:
                before = r
                break
        if before is None:
            raise AssertionError("no ATTITUDE before the event")
        b0 = float(before.msg.time_boot_ms) / 1000.0
        if after is None or after.t <= before.t:
            return b0 + (t - before.t)
        b1 = float(after.msg.time_boot_ms) / 1000.0
        return b0 + (t - before.t) * (b1 - b0) / (after.t - before.t)

    def boot_s_before(self, event: Received) -> float:
        """The vehicle's clock when it sent ``event``: the ATTITUDE.time_boot_ms that came just before it.

        Frames from one vehicle socket arrive in the order it sent them, so this needs no arrival times,
        which a starved event loop stamps late and in bunches (interpolating them put an 11.0 s disarm at
        10.65 s under load); it is early by at most one ATTITUDE period of vehicle time."""
        passed_event = False
        for r in reversed(self.received):
            if r is event:
                passed_event = True
            elif passed_event and r.msg.get_type() == "ATTITUDE":
                return float(r.msg.time_boot_ms) / 1000.0
        raise AssertionError("no ATTITUDE before the event" if passed_event else "the event was not received")

    def clock_at(self, t: float) -> float:
        """``t`` on the clock the vehicle's protocol timers run on (see ``RecordedLink.link_clock``)."""
        return t if self.boot_to_link is None else self.boot_to_link(self.boot_s_at(t))

    def link_s_of(self, event: Received) -> float:
        """When the vehicle sent ``event``, on the clock its link timers run on; by frame order
        (:meth:`boot_s_before`), so a starved client's bunched arrival times do not matter."""
        boot_s = self.boot_s_before(event)
        return boot_s if self.boot_to_link is None else self.boot_to_link(boot_s)

    def mark(self) -> int:
        """An index into ``received``: pass it as ``since`` to look only at what arrives afterwards."""
        return len(self.received)

    def seen(self, predicate: Predicate, since: int = 0) -> list[Received]:
        return [r for r in self.received[since:] if predicate(r.msg)]

    async def wait_for(self, predicate: Predicate, timeout_s: float, since: int = 0) -> Received | None:
        deadline = time.monotonic() + timeout_s
        checked = since
        while True:
            for item in self.received[checked:]:
                if predicate(item.msg):
                    return item
            checked = len(self.received)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.05))

    async def _beat(self) -> None:
        while True:
            if self.heartbeats_on and self.vehicle_addr is not None:
                self.send(
                    self.mav.heartbeat_encode(mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, 4)
                )
            await asyncio.sleep(1.0)


@contextlib.asynccontextmanager
async def raw_gcs(
    port: int, *, boot_to_link: Callable[[float], float] | None = None
) -> AsyncIterator[RawGcs]:
    """A GCS listening on 127.0.0.1:``port`` that starts its 1 Hz heartbeat once the vehicle is heard."""
    gcs = RawGcs(boot_to_link=boot_to_link)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _Inbox(gcs), local_addr=("127.0.0.1", port))
    gcs._transport = transport
    beat = asyncio.create_task(gcs._beat())
    try:
        yield gcs
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        transport.close()


def is_type(*names: str) -> Predicate:
    return lambda msg: msg.get_type() in names


def is_ack(command: int) -> Predicate:
    return lambda msg: msg.get_type() == "COMMAND_ACK" and msg.command == command


def is_text(text: str) -> Predicate:
    return lambda msg: msg.get_type() == "STATUSTEXT" and msg.text == text.rstrip("\x00")[:50]
