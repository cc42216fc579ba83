"""Per-vehicle state machine and telemetry publisher, fed with the frames of one system id.

Liveness is judged in wall-clock (monotonic) time, speeds and durations come from the vehicle's own
timestamps (design contract 8). Status is published on every change and once a second, link quality
once a second; high-rate streams are rate-limited per vehicle so a 100 Hz ATTITUDE stream does not
multiply into every subscriber.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ground_station.bus.catalogue import topic_for
from ground_station.bus.messages import (
    AttitudeMsg,
    BatteryMsg,
    BusMessage,
    FlightEventKind,
    FlightEventMsg,
    LinkMsg,
    MissionProgressMsg,
    PositionMsg,
    StatusMsg,
    StatusTextMsg,
    VehicleState,
)
from ground_station.links import decode
from ground_station.links.decode import MsgId
from ground_station.links.framing import Frame
from ground_station.links.px4_modes import AUTO_RTL, autopilot_name, flight_mode_name, system_status_name

Publish = Callable[[str, BusMessage], None]

IN_AIR_LANDED_STATES = frozenset({2, 3, 4})  # IN_AIR, TAKEOFF, LANDING
FALLBACK_IN_AIR_ALT_REL_M = 1.0
RAD_TO_DEG = 57.29577951308232


class FlightListener(Protocol):
    """Told when a flight (arm -> disarm) starts and ends; the tlog recorder implements it."""

    def flight_started(self, vehicle_id: str, now: dt.datetime) -> tuple[str, str | None]:
        """Returns (flight_id, tlog path or None)."""
        ...

    def flight_ended(self, vehicle_id: str, now: dt.datetime) -> str | None:
        """Returns the closed tlog path, if any."""
        ...


def derive_state(
    *, connected: bool, armed: bool, in_air: bool, flight_mode: str, has_flown: bool
) -> VehicleState:
    """The state machine's output as a pure function of what the vehicle last reported."""
    if not connected:
        return VehicleState.DISCONNECTED
    if armed and in_air:
        return VehicleState.RETURNING if flight_mode == AUTO_RTL else VehicleState.IN_AIR
    if armed:
        return VehicleState.ARMED
    if has_flown:
        return VehicleState.LANDED
    return VehicleState.CONNECTED


class _RateLimit:
    __slots__ = ("_last", "_period")

    def __init__(self, max_hz: float | None) -> None:
        self._period = 0.0 if not max_hz else 1.0 / max_hz
        self._last = -1e18

    def allow(self, mono: float) -> bool:
        if mono - self._last >= self._period:
            self._last = mono
            return True
        return False


@dataclass
class LinkCounters:
    packets_received: int = 0
    packets_lost: int = 0
    window_start_mono: float = 0.0
    window_packets: int = 0
    rx_rate_hz: float = 0.0
    last_seq: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandAckSeen:
    """A COMMAND_ACK from the vehicle; ``index`` orders them, so a waiter reads only those after its send."""

    index: int
    command: int
    result: int
    mono: float


@dataclass(frozen=True)
class TextSeen:
    index: int
    severity: int
    text: str
    mono: float


class VehicleTracker:
    def __init__(
        self,
        vehicle_id: str,
        system_id: int,
        publish: Publish,
        *,
        listener: FlightListener | None = None,
        heartbeat_timeout_s: float = 3.0,
        position_max_hz: float | None = None,
        attitude_max_hz: float | None = 10.0,
        battery_max_hz: float | None = 1.0,
        bad_packets: Callable[[], int] = lambda: 0,
    ) -> None:
        self.vehicle_id = vehicle_id
        self.system_id = system_id
        self._publish = publish
        self._listener = listener
        self._heartbeat_timeout_s = heartbeat_timeout_s
        self._bad_packets = bad_packets
        self._topics = {
            cls: topic_for(cls, vehicle_id)
            for cls in (
                PositionMsg,
                AttitudeMsg,
                BatteryMsg,
                StatusMsg,
                MissionProgressMsg,
                LinkMsg,
                StatusTextMsg,
                FlightEventMsg,
            )
        }
        self._position_limit = _RateLimit(position_max_hz)
        self._attitude_limit = _RateLimit(attitude_max_hz)
        self._battery_limit = _RateLimit(battery_max_hz)
        self._texts = decode.StatusTextAssembler()
        self.counters = LinkCounters()
        self.connected = False
        self.armed = False
        self.in_air = False
        self.has_flown = False
        self.flight_mode = "UNKNOWN"
        self.system_status = "UNINIT"
        self.autopilot = "UNKNOWN"
        self.firmware_version: str | None = None
        self.landed_state: int | None = None
        self.last_heartbeat_mono: float | None = None
        self.last_position: PositionMsg | None = None
        self.home: decode.HomePosition | None = None
        self.flight_id: str | None = None
        self.tlog_path: str | None = None
        self.state = VehicleState.DISCONNECTED
        self._mission: tuple[int, int | None] | None = None
        self._last_reached: int | None = None
        self._last_status_mono = -1e18
        self._last_link_mono = -1e18
        self._published_mode: str | None = None
        self.acks: deque[CommandAckSeen] = deque(maxlen=64)
        self.texts: deque[TextSeen] = deque(maxlen=64)
        self._observed = 0
        self._watchers: set[asyncio.Event] = set()
        self._handlers: dict[int, Callable[[Frame, dt.datetime, float], None]] = {
            MsgId.HEARTBEAT: self._on_heartbeat,
            MsgId.GLOBAL_POSITION_INT: self._on_position,
            MsgId.ATTITUDE: self._on_attitude,
            MsgId.SYS_STATUS: self._on_sys_status,
            MsgId.BATTERY_STATUS: self._on_battery_status,
            MsgId.EXTENDED_SYS_STATE: self._on_extended_sys_state,
            MsgId.MISSION_CURRENT: self._on_mission_current,
            MsgId.MISSION_ITEM_REACHED: self._on_item_reached,
            MsgId.STATUSTEXT: self._on_statustext,
            MsgId.AUTOPILOT_VERSION: self._on_autopilot_version,
            MsgId.HOME_POSITION: self._on_home_position,
            MsgId.COMMAND_ACK: self._on_command_ack,
        }

    # -- waiting on the vehicle's state -----------------------------------------------------------------

    def watch(self, event: asyncio.Event) -> None:
        """``event`` is set whenever the heartbeat, mission state, an ACK or a text arrives.

        Commands are done when the vehicle's state shows it, not at the first ACK; the fleet waits on
        this instead of polling.
        """
        self._watchers.add(event)

    def unwatch(self, event: asyncio.Event) -> None:
        self._watchers.discard(event)

    def _notify(self) -> None:
        for event in self._watchers:
            event.set()

    def mark(self) -> int:
        """An index: ACKs and texts seen after this call have a larger one."""
        return self._observed

    def _next_index(self) -> int:
        self._observed += 1
        return self._observed

    @property
    def mission_total(self) -> int | None:
        """Items in the mission the vehicle has loaded (MISSION_CURRENT.total), None if not reported."""
        if self._mission is None:
            return None
        return self._mission[1]

    # -- input -----------------------------------------------------------------------------------------

    def handle(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        counters = self.counters  # inlined LinkCounters.count: this runs for every frame
        counters.packets_received += 1
        counters.window_packets += 1
        last = counters.last_seq.get(frame.compid)
        if last is not None:
            gap = (frame.seq - last - 1) & 0xFF
            if gap < 128:
                counters.packets_lost += gap
        counters.last_seq[frame.compid] = frame.seq
        handler = self._handlers.get(frame.msgid)
        if handler is not None and frame.known:
            handler(frame, now, mono)

    def tick(self, now: dt.datetime, mono: float) -> None:
        """Called a few times a second: link-loss detection and the periodic status/link messages."""
        if (
            self.connected
            and self.last_heartbeat_mono is not None
            and mono - self.last_heartbeat_mono > self._heartbeat_timeout_s
        ):
            self.connected = False
            self._event(
                FlightEventKind.LINK_LOST, now, detail=f"no heartbeat for {self._heartbeat_timeout_s} s"
            )
            self._update_state(now, mono, force=True)
            self._publish_link(now, mono)
        if mono - self._last_status_mono >= 1.0 and self.last_heartbeat_mono is not None:
            self._publish_status(now, mono)
        if mono - self._last_link_mono >= 1.0:
            self._publish_link(now, mono)

    # -- handlers --------------------------------------------------------------------------------------

    def _on_heartbeat(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        hb = decode.heartbeat(frame)
        if not hb.from_autopilot:
            return
        self.last_heartbeat_mono = mono
        was_connected = self.connected
        self.connected = True
        self.autopilot = autopilot_name(hb.autopilot)
        self.flight_mode = flight_mode_name(hb.autopilot, hb.custom_mode)
        self.system_status = system_status_name(hb.system_status)
        if not was_connected and self.last_position is not None:
            self._event(FlightEventKind.LINK_RESTORED, now)
        if hb.armed and not self.armed:
            self.armed = True
            self._start_flight(now, resumed=not was_connected)
        elif not hb.armed and self.armed:
            self.armed = False
            self._end_flight(now)
        self._update_state(now, mono)
        if not was_connected:
            self._publish_link(now, mono)  # the link is up now: nobody should read the old "down"
        self._notify()

    def _on_position(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        if not self._position_limit.allow(mono):
            return
        p = decode.global_position(frame)
        if not (-90.0 <= p.lat <= 90.0 and -180.0 <= p.lon <= 180.0):
            return  # a CRC-valid frame with impossible coordinates: a broken sender, not a position
        msg = PositionMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            vehicle_time_ms=p.vehicle_time_ms,
            lon=p.lon,
            lat=p.lat,
            alt_amsl_m=p.alt_amsl_m,
            alt_rel_m=p.alt_rel_m,
            vn_mps=p.vn_mps,
            ve_mps=p.ve_mps,
            vd_mps=p.vd_mps,
            heading_deg=p.heading_deg,
        )
        self.last_position = msg
        self._publish(self._topics[PositionMsg], msg)
        if self.landed_state is None and self.armed:
            in_air = p.alt_rel_m > FALLBACK_IN_AIR_ALT_REL_M
            if in_air != self.in_air:
                self._set_in_air(in_air, now, mono)

    def _on_attitude(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        if not self._attitude_limit.allow(mono):
            return
        a = decode.attitude(frame)
        msg = AttitudeMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            vehicle_time_ms=a.vehicle_time_ms,
            roll_deg=a.roll_rad * RAD_TO_DEG,
            pitch_deg=a.pitch_rad * RAD_TO_DEG,
            yaw_deg=a.yaw_rad * RAD_TO_DEG,
        )
        self._publish(self._topics[AttitudeMsg], msg)

    def _publish_power(self, power: decode.PowerStatus, now: dt.datetime, mono: float) -> None:
        if power.voltage_v is None and power.remaining_pct is None:
            return
        if not self._battery_limit.allow(mono):
            return
        msg = BatteryMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            remaining_pct=power.remaining_pct,
            voltage_v=power.voltage_v,
            current_a=power.current_a,
        )
        self._publish(self._topics[BatteryMsg], msg)

    def _on_sys_status(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        self._publish_power(decode.sys_status(frame), now, mono)

    def _on_battery_status(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        self._publish_power(decode.battery_status(frame), now, mono)

    def _on_extended_sys_state(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        self.landed_state = decode.landed_state(frame)
        in_air = self.landed_state in IN_AIR_LANDED_STATES
        if in_air != self.in_air:
            self._set_in_air(in_air, now, mono)

    def _on_mission_current(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        current = decode.mission_current(frame)
        key = (current.seq, current.total)
        if key == self._mission:
            return
        self._mission = key
        self._publish_mission(now)
        self._notify()

    def _on_item_reached(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        seq = decode.mission_item_reached(frame)
        if seq == self._last_reached:
            return  # PX4 repeats ITEM_REACHED ~10 times at 1 Hz
        self._last_reached = seq
        self._publish_mission(now)

    def _on_statustext(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        assembled = self._texts.add(decode.statustext(frame))
        if assembled is None:
            return
        severity, text = assembled
        msg = StatusTextMsg(vehicle_id=self.vehicle_id, time_utc=now, severity=severity, text=text)
        self._publish(self._topics[StatusTextMsg], msg)
        self.texts.append(TextSeen(self._next_index(), severity, text, mono))
        self._notify()

    def _on_command_ack(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        command, result = decode.command_ack(frame)
        self.acks.append(CommandAckSeen(self._next_index(), command, result, mono))
        self._notify()

    def _on_autopilot_version(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        version = decode.autopilot_version(frame).firmware_version
        if version != self.firmware_version:
            self.firmware_version = version
            self._publish_status(now, mono)

    def _on_home_position(self, frame: Frame, now: dt.datetime, mono: float) -> None:
        self.home = decode.home_position(frame)

    # -- state -----------------------------------------------------------------------------------------

    def _set_in_air(self, in_air: bool, now: dt.datetime, mono: float) -> None:
        self.in_air = in_air
        if in_air:
            self.has_flown = True
        self._event(FlightEventKind.TOOK_OFF if in_air else FlightEventKind.LANDED, now)
        self._update_state(now, mono)

    def _update_state(self, now: dt.datetime, mono: float, *, force: bool = False) -> None:
        previous_mode = self._published_mode
        state = derive_state(
            connected=self.connected,
            armed=self.armed,
            in_air=self.in_air,
            flight_mode=self.flight_mode,
            has_flown=self.has_flown,
        )
        changed = state != self.state or previous_mode != self.flight_mode
        if previous_mode is not None and previous_mode != self.flight_mode:
            self._event(FlightEventKind.MODE_CHANGED, now, detail=f"{previous_mode} -> {self.flight_mode}")
        self.state = state
        if changed or force:
            self._publish_status(now, mono)

    def _start_flight(self, now: dt.datetime, *, resumed: bool) -> None:
        self.has_flown = False
        if self._listener is not None:
            self.flight_id, self.tlog_path = self._listener.flight_started(self.vehicle_id, now)
        else:
            self.flight_id = f"{self.vehicle_id}-{now:%Y%m%dT%H%M%S}Z"
        detail = "vehicle was already armed when the link came up" if resumed else None
        self._event(FlightEventKind.FLIGHT_STARTED, now, detail=detail)

    def _end_flight(self, now: dt.datetime) -> None:
        if self._listener is not None:
            self.tlog_path = self._listener.flight_ended(self.vehicle_id, now) or self.tlog_path
        self._event(FlightEventKind.FLIGHT_ENDED, now)
        self.flight_id = None
        self.tlog_path = None
        self.in_air = False

    # -- output ----------------------------------------------------------------------------------------

    def _event(self, kind: FlightEventKind, now: dt.datetime, *, detail: str | None = None) -> None:
        msg = FlightEventMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            kind=kind,
            flight_id=self.flight_id,
            tlog_path=self.tlog_path,
            detail=detail,
        )
        self._publish(self._topics[FlightEventMsg], msg)

    def _publish_mission(self, now: dt.datetime) -> None:
        seq, total = self._mission if self._mission is not None else (0, None)
        msg = MissionProgressMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            current=seq,
            total=total or 0,
            reached=self._last_reached,
        )
        self._publish(self._topics[MissionProgressMsg], msg)

    def status_message(self, now: dt.datetime) -> StatusMsg:
        return StatusMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            state=self.state,
            armed=self.armed,
            in_air=self.in_air,
            flight_mode=self.flight_mode,
            system_status=self.system_status,
            autopilot=self.autopilot,
            firmware_version=self.firmware_version,
            system_id=self.system_id,
            home_lon=self.home.lon if self.home else None,
            home_lat=self.home.lat if self.home else None,
            home_alt_amsl_m=self.home.alt_amsl_m if self.home else None,
        )

    def _publish_status(self, now: dt.datetime, mono: float) -> None:
        self._last_status_mono = mono
        self._published_mode = self.flight_mode
        self._publish(self._topics[StatusMsg], self.status_message(now))

    def link_message(self, now: dt.datetime, mono: float) -> LinkMsg:
        c = self.counters
        return LinkMsg(
            vehicle_id=self.vehicle_id,
            time_utc=now,
            connected=self.connected,
            last_heartbeat_age_s=None
            if self.last_heartbeat_mono is None
            else mono - self.last_heartbeat_mono,
            packets_received=c.packets_received,
            packets_bad=self._bad_packets(),
            packets_lost=c.packets_lost,
            rx_rate_hz=c.rx_rate_hz,
        )

    def _publish_link(self, now: dt.datetime, mono: float) -> None:
        c = self.counters
        elapsed = mono - c.window_start_mono
        if elapsed > 0:
            c.rx_rate_hz = c.window_packets / elapsed if c.window_start_mono else 0.0
        c.window_start_mono = mono
        c.window_packets = 0
        self._last_link_mono = mono
        self._publish(self._topics[LinkMsg], self.link_message(now, mono))
