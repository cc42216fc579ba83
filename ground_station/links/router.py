"""One router per vehicle link: it owns the socket, and is the only thing that does (contract 9).

Vehicle -> station: frames are split and CRC-checked, recorded into the flight's tlog, turned into
typed bus messages by the vehicle's tracker, and relayed to this link's MAVSDK instance over a
loopback UDP pair (as mavlink-router does). MAVSDK -> vehicle: datagrams are recorded and forwarded.
High-rate streams that MAVSDK's action/mission plugins never read are not relayed, which keeps the
relay cheap. A flooding vehicle is capped per link (frames beyond the budget are dropped and counted)
so it cannot take the CPU from the other links.

On UDP links each vehicle is pinned to the address its autopilot HEARTBEAT came from (``peers.py``):
frames for it from other addresses are dropped, counted (``foreign_dropped`` in the link status) and
alerted at most once a minute; the station sends only to pinned peers, never to whoever spoke last.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pymavlink.dialects.v20 import common as mavlink_common

from ground_station.bus.catalogue import topic_for, validate_vehicle_id
from ground_station.bus.messages import AlertMsg, BusMessage
from ground_station.links import decode
from ground_station.links.decode import MsgId
from ground_station.links.framing import Frame, FrameSplitter
from ground_station.links.intrusion import ForeignPeerAlarm
from ground_station.links.peers import Address, PeerPins
from ground_station.links.recorder import FlightRecorder
from ground_station.links.signing import LinkSigner
from ground_station.links.transport import UdpTransport, make_transport
from ground_station.links.urls import LinkEndpoint, LinkKind, parse_link_url
from ground_station.links.vehicle_state import VehicleTracker

log = logging.getLogger(__name__)

Publish = Callable[[str, BusMessage], None]

# Streams PX4 sends at 10-100 Hz that MAVSDK's action and mission_raw plugins do not use.
NOT_RELAYED_TO_MAVSDK = frozenset(
    {24, 29, 30, 31, 32, 33, 36, 74, 83, 85, 87, 105, 111, 132, 141, 230, 241, 331}
)
STATION_SYSTEM_ID = 255
CLOCK_REUSE_S = 0.0005
STATION_COMPONENT_ID = 190
MAV_TYPE_GCS = 6
MAV_AUTOPILOT_INVALID = 8
MAV_STATE_ACTIVE = 4


@dataclass(frozen=True)
class VehicleLinkConfig:
    """A vehicle on a link. ``system_id=None`` takes the first autopilot heard on that link."""

    vehicle_id: str
    url: str
    system_id: int | None = None
    signing_key: bytes | None = None
    """MAVLink 2 signing key: frames from this vehicle must be validly signed (``signing.py``)."""


@dataclass(frozen=True)
class RouterOptions:
    """``position_max_hz``: PX4 sends GLOBAL_POSITION_INT at 50 Hz; the bus carries at most this rate
    per vehicle (None = every packet, the default). Every bus message reaches every consumer (store,
    monitor, WebSocket hub), so this is a lever on the station's CPU, but a lower rate makes the newest
    position in each 10 Hz WebSocket frame older (bench_station measured p99 81 ms at full rate vs
    200 ms at 25 Hz with 25 vehicles); the tlog keeps every packet regardless."""

    heartbeat_timeout_s: float = 3.0
    position_max_hz: float | None = None
    attitude_max_hz: float | None = 10.0
    max_frames_per_s: int = 5000  # PX4 API link ~410/s; leaves room for a replay at up to ~12x
    relay_to_mavsdk: bool = True
    tick_interval_s: float = 0.25
    station_heartbeat: bool = True
    repin_after_s: float | None = None
    """A vehicle's pinned address may change only after it was silent this long (None: the heartbeat
    timeout, so a vehicle that comes back on a new port after a link loss is taken back)."""
    foreign_alert_interval_s: float = 60.0
    """At most one LINK_SPOOFING alert per link in this period."""


@dataclass
class RouterCounters:
    datagrams: int = 0
    flood_dropped: int = 0
    unmapped_frames: int = 0
    relayed_to_mavsdk: int = 0
    from_mavsdk: int = 0
    foreign_dropped: int = 0
    repins: int = 0
    unsigned_dropped: int = 0


class _RelayProtocol(asyncio.DatagramProtocol):
    def __init__(self, router: LinkRouter) -> None:
        self._router = router

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            self._router._from_mavsdk(data, addr)
        except Exception:
            log.exception("error relaying a MAVSDK datagram")


class LinkRouter:
    def __init__(
        self,
        url: str,
        vehicles: list[VehicleLinkConfig],
        publish: Publish,
        *,
        tlog_dir: Path | None = None,
        options: RouterOptions | None = None,
    ) -> None:
        if not vehicles:
            raise ValueError(f"link {url}: no vehicle configured")
        self.url = url
        self.endpoint: LinkEndpoint = parse_link_url(url)
        self.options = options or RouterOptions()
        self.counters = RouterCounters()
        self._publish = publish
        self._transport = make_transport(self.endpoint)
        self._splitter = FrameSplitter()
        self._unbound: list[VehicleLinkConfig] = []
        self.trackers: dict[str, VehicleTracker] = {}
        self.recorders: dict[str, FlightRecorder] = {}
        self._by_sysid: dict[int, VehicleTracker] = {}
        for vehicle in vehicles:
            validate_vehicle_id(vehicle.vehicle_id)
            if vehicle.vehicle_id in self.trackers:
                raise ValueError(f"link {url}: vehicle {vehicle.vehicle_id!r} configured twice")
            recorder = FlightRecorder(tlog_dir)
            self.recorders[vehicle.vehicle_id] = recorder
            tracker = VehicleTracker(
                vehicle.vehicle_id,
                vehicle.system_id or 0,
                publish,
                listener=recorder,
                heartbeat_timeout_s=self.options.heartbeat_timeout_s,
                position_max_hz=self.options.position_max_hz,
                attitude_max_hz=self.options.attitude_max_hz,
                bad_packets=lambda: self._splitter.stats.bad + self.counters.flood_dropped,
                foreign_dropped=lambda: self.counters.foreign_dropped,
                unsigned_dropped=lambda: self.counters.unsigned_dropped,
                peer=functools.partial(self._peer_text, vehicle.vehicle_id),
            )
            self.trackers[vehicle.vehicle_id] = tracker
            if vehicle.system_id is None:
                self._unbound.append(vehicle)
            else:
                if vehicle.system_id in self._by_sysid:
                    raise ValueError(f"link {url}: system id {vehicle.system_id} mapped twice")
                self._by_sysid[vehicle.system_id] = tracker
        self.signers: dict[str, LinkSigner] = {
            v.vehicle_id: LinkSigner(v.signing_key) for v in vehicles if v.signing_key is not None
        }
        # what the station and MAVSDK send is signed with the (first) signed vehicle's key
        self._outgoing_signer = next(iter(self.signers.values()), None)
        repin_after_s = self.options.repin_after_s
        self._pins = PeerPins(
            list(self.trackers), self.options.heartbeat_timeout_s if repin_after_s is None else repin_after_s
        )
        self._alarm = ForeignPeerAlarm(
            url, vehicles[0].vehicle_id if len(vehicles) == 1 else None, self.options.foreign_alert_interval_s
        )
        self._relay: asyncio.DatagramTransport | None = None
        self._mavsdk_addr: tuple[str, int] | None = None
        self._last_mavsdk_mono = -1e18
        self._tasks: list[asyncio.Task[None]] = []
        self._window_start = 0.0
        self._window_frames = 0
        self._clock_s = 0.0
        self._clock = dt.datetime.now(dt.UTC)
        self._ack_waiters: dict[tuple[int, int], asyncio.Future[int]] = {}
        self._station_mav = mavlink_common.MAVLink(
            None, srcSystem=STATION_SYSTEM_ID, srcComponent=STATION_COMPONENT_ID
        )

    # -- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.options.relay_to_mavsdk:
            self._relay, _ = await loop.create_datagram_endpoint(
                lambda: _RelayProtocol(self), local_addr=("127.0.0.1", 0)
            )
        self._tasks.append(
            asyncio.create_task(self._transport.run(self._from_vehicle), name=f"link {self.url}")
        )
        self._tasks.append(asyncio.create_task(self._tick_loop(), name=f"link tick {self.url}"))
        if isinstance(self._transport, UdpTransport) and self.endpoint.kind is LinkKind.UDPIN:
            try:  # so callers can read local_address; a busy port keeps being retried in the background
                await asyncio.wait_for(self._transport.wait_bound(), 2.0)
            except TimeoutError:
                log.error("link %s: cannot listen yet (port busy?); retrying in the background", self.url)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._relay is not None:
            self._relay.close()
            self._relay = None
        for recorder in self.recorders.values():
            recorder.close()

    @property
    def relay_url(self) -> str | None:
        """Where this link's MAVSDK instance connects (``add_any_connection``)."""
        if self._relay is None:
            return None
        host, port = self._relay.get_extra_info("sockname")[:2]
        return f"udpout://{host}:{port}"

    @property
    def local_address(self) -> tuple[str, int] | None:
        return self._transport.local_address

    @property
    def bad_packets(self) -> int:
        return self._splitter.stats.bad

    def _peer_text(self, vehicle_id: str) -> str | None:
        address = self._pins.pin_of(vehicle_id).address
        return None if address is None else f"{address[0]}:{address[1]}"

    def pinned_peer(self, vehicle_id: str) -> Address | None:
        return self._pins.pin_of(vehicle_id).address

    # -- vehicle -> station ----------------------------------------------------------------------------

    def _foreign(self, address: Address, reason: str, mono: float, count: int = 1) -> None:
        self.counters.foreign_dropped += count
        alert = self._alarm.dropped(
            f"{address[0]}:{address[1]}", reason, dt.datetime.now(dt.UTC), mono, count
        )
        if alert is not None:
            log.warning("link %s: %s", self.url, alert.message)
            self._publish(topic_for(AlertMsg), alert)

    def _unsigned(self, address: Address | None, vehicle_id: str, mono: float) -> None:
        """A frame for a signed vehicle without a valid signature: dropped, counted, alerted (limited)."""
        self.counters.unsigned_dropped += 1
        where = "the link" if address is None else f"{address[0]}:{address[1]}"
        alert = self._alarm.dropped(
            where, f"unsigned or badly signed for {vehicle_id}", dt.datetime.now(dt.UTC), mono
        )
        if alert is not None:
            log.warning("link %s: %s", self.url, alert.message)
            self._publish(topic_for(AlertMsg), alert)

    def _accepts(self, tracker: VehicleTracker, frame: Frame, address: Address, mono: float) -> bool:
        """Whether a frame for ``tracker`` may come from ``address`` (pins on an autopilot heartbeat)."""
        pins = self._pins
        if pins.accepts(tracker.vehicle_id, address, mono):
            return True
        is_autopilot_heartbeat = (
            frame.msgid == MsgId.HEARTBEAT and frame.known and decode.heartbeat(frame).from_autopilot
        )
        if is_autopilot_heartbeat and pins.may_pin(tracker.vehicle_id, mono):
            previous = pins.pin(tracker.vehicle_id, address, mono)
            self._transport.set_peers(pins.peers)
            if previous is None:
                log.info("link %s: %s pinned to %s:%d", self.url, tracker.vehicle_id, *address)
            else:
                self.counters.repins += 1
                log.warning(
                    "link %s: %s re-pinned from %s:%d to %s:%d after silence",
                    self.url,
                    tracker.vehicle_id,
                    *previous,
                    *address,
                )
            return True
        if pins.pin_of(tracker.vehicle_id).address is not None:
            self._foreign(address, f"not the pinned address of {tracker.vehicle_id}", mono)
        # else: the vehicle is not pinned yet; frames before its first heartbeat are not trusted
        return False

    def _from_vehicle(self, data: bytes, address: Address | None = None) -> None:
        mono = time.monotonic()
        self.counters.datagrams += 1
        if (
            address is not None
            and not self._pins.is_pinned_peer(address)
            and not self._pins.open_to_strangers(mono)
        ):
            # every vehicle is pinned and alive: a stranger's datagram is dropped before it is parsed,
            # so it costs neither parsing nor the vehicle's flood budget
            self._foreign(address, "every vehicle of this link is pinned elsewhere", mono)
            return
        if mono - self._window_start >= 1.0:
            self._window_start = mono
            self._window_frames = 0
        if self._window_frames >= self.options.max_frames_per_s:
            self.counters.flood_dropped += 1
            return
        if self._transport.stream:
            frames = self._splitter.feed(data)
        else:
            frames = self._splitter.feed_datagram(data)
        self._window_frames += max(1, len(frames))  # garbage costs parsing too: it counts
        if not frames:
            return
        now_s = time.time()
        if now_s - self._clock_s > CLOCK_REUSE_S:  # one datetime per burst, not one per datagram
            self._clock_s = now_s
            self._clock = dt.datetime.fromtimestamp(now_s, dt.UTC)
        now = self._clock
        time_us = int(now_s * 1_000_000)
        relay = self._relay if self._mavsdk_addr is not None else None
        for frame in frames:
            tracker = self._by_sysid.get(frame.sysid)
            just_bound = tracker is None
            if tracker is None:
                tracker = self._bind(frame, address)  # verifies the signature itself for a signed vehicle
            if tracker is None:
                self.counters.unmapped_frames += 1
                continue
            signer = self.signers.get(tracker.vehicle_id)
            if signer is not None and not just_bound and not signer.verify(frame):
                self._unsigned(address, tracker.vehicle_id, mono)
                continue
            if address is not None and not self._accepts(tracker, frame, address, mono):
                continue
            self.recorders[tracker.vehicle_id].record(time_us, frame.raw)
            tracker.handle(frame, now, mono)
            if frame.msgid == MsgId.MISSION_ACK and self._ack_waiters:
                self._mission_ack(frame)
            if relay is not None and frame.msgid not in NOT_RELAYED_TO_MAVSDK:
                relay.sendto(frame.raw if signer is None else signer.strip(frame), self._mavsdk_addr)
                self.counters.relayed_to_mavsdk += 1

    def _bind(self, frame: Frame, address: Address | None) -> VehicleTracker | None:
        """Maps the first autopilot heard to a vehicle configured without a system id (contract 5)."""
        if not self._unbound or frame.msgid != MsgId.HEARTBEAT or not frame.known:
            return None
        if not decode.heartbeat(frame).from_autopilot:
            return None
        vehicle = self._unbound[0]
        signer = self.signers.get(vehicle.vehicle_id)
        if signer is not None and not signer.verify(frame):
            self._unsigned(address, vehicle.vehicle_id, time.monotonic())
            return None  # a signed vehicle is bound only by a heartbeat signed with its key
        self._unbound.pop(0)
        tracker = self.trackers[vehicle.vehicle_id]
        tracker.system_id = frame.sysid
        self._by_sysid[frame.sysid] = tracker
        log.info("link %s: system %d is %s", self.url, frame.sysid, vehicle.vehicle_id)
        return tracker

    # -- station -> vehicle ----------------------------------------------------------------------------

    def _from_mavsdk(self, data: bytes, addr: tuple[str, int]) -> None:
        self._mavsdk_addr = addr
        self._last_mavsdk_mono = time.monotonic()
        self.counters.from_mavsdk += 1
        self.send_to_vehicle(data)

    def send_to_vehicle(self, data: bytes) -> None:
        """Records (as the GCS -> vehicle direction) and sends raw MAVLink bytes (signed on a signed link)."""
        time_us = int(time.time() * 1_000_000)
        splitter = FrameSplitter()
        signer = self._outgoing_signer
        signed: list[bytes] = []
        for frame in splitter.feed(data):
            raw = frame.raw
            if signer is not None:
                raw = signer.sign(frame) or raw
                signed.append(raw)
            for recorder in self.recorders.values():
                recorder.record(time_us, raw)
        self._transport.send(data if signer is None else b"".join(signed))

    async def clear_plan_part(self, system_id: int, mission_type: int, timeout_s: float = 5.0) -> None:
        """Empties one of the vehicle's lists (mission 0, fence 1, rally 2) and waits for its MISSION_ACK.

        MAVSDK's mission_raw refuses to upload an empty list, so an approved plan without a fence or
        rally points is made true with MISSION_CLEAR_ALL from the station's own ids.
        """
        key = (system_id, mission_type)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._ack_waiters[key] = future
        msg = self._station_mav.mission_clear_all_encode(system_id, 0, mission_type)
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    self.send_to_vehicle(bytes(msg.pack(self._station_mav)))
                    done, _ = await asyncio.wait({future}, timeout=1.0)
                    if done:
                        break
            result = future.result()
        finally:
            self._ack_waiters.pop(key, None)
        if result != 0:
            raise RuntimeError(
                f"vehicle refused to clear mission type {mission_type}: MAV_MISSION_RESULT {result}"
            )

    def _mission_ack(self, frame: Frame) -> None:
        target_system, _, result, mission_type = decode.mission_ack(frame)
        if target_system != STATION_SYSTEM_ID:
            return
        future = self._ack_waiters.get((frame.sysid, mission_type))
        if future is not None and not future.done():
            future.set_result(result)

    def _send_station_heartbeat(self) -> None:
        msg = self._station_mav.heartbeat_encode(MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID, 0, 0, MAV_STATE_ACTIVE)
        self.send_to_vehicle(bytes(msg.pack(self._station_mav)))

    async def _tick_loop(self) -> None:
        next_heartbeat = 0.0
        while True:
            await asyncio.sleep(self.options.tick_interval_s)
            now = dt.datetime.now(dt.UTC)
            mono = time.monotonic()
            for tracker in self.trackers.values():
                tracker.tick(now, mono)
            for recorder in self.recorders.values():
                recorder.flush()
            mavsdk_quiet = mono - self._last_mavsdk_mono > 3.0
            if self.options.station_heartbeat and mavsdk_quiet and mono >= next_heartbeat:
                # PX4 sends STATUSTEXT only to a link where a GCS heartbeat is heard; keep one going
                # while MAVSDK is not (yet) talking.
                next_heartbeat = mono + 1.0
                self._send_station_heartbeat()
