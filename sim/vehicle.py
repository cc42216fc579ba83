"""One simulated PX4 multicopter: wires the link, parameters, commands, mission protocol, flight
controller, failsafes, battery, GPS and telemetry together and steps them."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymavlink.dialects.v20 import common as mavlink

from sim.battery import Battery, BatterySpec, BatteryWarning
from sim.commands import (
    CommandHandler,
    CommandRequest,
    FailureType,
    FailureUnit,
    request_from_int,
    request_from_long,
)
from sim.failsafe import FailsafeMonitor
from sim.flight import FlightController
from sim.geo import GeoPoint, LocalFrame
from sim.geofence import Geofence, geofence_from_items, violates
from sim.gps import GpsReading, GpsReceiver
from sim.link import Address, MavlinkLink
from sim.mission_protocol import MissionProtocol
from sim.mission_store import MissionStore, MissionType
from sim.params import ParameterStore, ParamValue
from sim.px4_modes import LandedState
from sim.self_commands import SelfCommandSender
from sim.statustext import Severity, StatusTextOutbox
from sim.streams import StreamId, StreamTable
from sim.telemetry import TelemetryBuilder
from sim.terrain_source import TerrainCache, TerrainLike, elevation_at
from sim.wind import WindField

GCS_ALIVE_S = 3.0  # PX4 queues STATUSTEXT once the GCS heartbeat is this old
HOME_SET_AFTER_S = 0.85  # HOME_POSITION appeared ~0.85 s after boot in the traces
PARAMS_PER_TICK = 20
SLOW_PERIOD_S = 0.1  # GPS, battery and failsafe checks run at ~10 Hz of vehicle time
MISSION_MESSAGES = frozenset(
    {
        "MISSION_COUNT",
        "MISSION_ITEM_INT",
        "MISSION_ITEM",
        "MISSION_REQUEST_LIST",
        "MISSION_REQUEST_INT",
        "MISSION_REQUEST",
        "MISSION_ACK",
        "MISSION_CLEAR_ALL",
        "MISSION_SET_CURRENT",
    }
)


@dataclass(frozen=True)
class VehicleConfig:
    slug: str
    home: GeoPoint
    gcs_address: Address
    system_id: int = 1
    component_id: int = 1
    bind_host: str = "127.0.0.1"
    bind_port: int = 0
    battery: BatterySpec = field(default_factory=BatterySpec)
    param_overrides: dict[str, float] = field(default_factory=dict)
    seed: int = 0


class Vehicle:
    def __init__(
        self,
        config: VehicleConfig,
        terrain: TerrainLike,
        wind: WindField,
        start_utc: datetime | None = None,
        wall_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.slug = config.slug
        self._wall = wall_clock
        self._start_utc = start_utc or datetime.now(UTC)
        self.wind = wind
        overrides = {"MAV_SYS_ID": float(config.system_id), "MAV_COMP_ID": float(config.component_id)}
        overrides.update(
            {
                "SIH_LOC_LAT0": config.home.lat,
                "SIH_LOC_LON0": config.home.lon,
                "SIH_LOC_H0": config.home.alt_amsl_m,
            }
        )
        overrides.update(config.param_overrides)
        self.params = ParameterStore(overrides=overrides)
        self.frame = LocalFrame(config.home.lon, config.home.lat)
        ground_home = elevation_at(terrain, config.home.lon, config.home.lat, config.home.alt_amsl_m)
        self._terrain_cache = TerrainCache(terrain, ground_home)
        self.link = MavlinkLink(config.system_id, config.component_id, config.gcs_address)
        mav = self.link.encoder
        self.store = MissionStore()
        self.last_gcs_heartbeat: float | None = None
        self.statustext = StatusTextOutbox(mav, self.link.send, self._gcs_alive, wall_clock)
        self.self_commands = SelfCommandSender(mav, self.link.send, config.system_id, wall_clock)
        self.geofence = Geofence()
        self.flight = FlightController(
            self.params,
            self.frame,
            ground_home,
            self._terrain_cache,
            self.store,
            self.say,
            self._gcs_alive,
            lambda: not self._outside_fence(),
            self._announce_new_log,
            self._set_home_here,
            self.self_commands.issue,
        )
        self.battery = Battery(config.battery)
        self._gps = GpsReceiver(seed=config.seed)
        self.gps_reading: GpsReading = self._gps.step(0.0)
        self.home: GeoPoint | None = None
        self._pending_home = GeoPoint(config.home.lon, config.home.lat, ground_home)
        self.lon, self.lat = config.home.lon, config.home.lat
        self.ground_amsl_m = ground_home
        self.failsafes = FailsafeMonitor(
            self.flight,
            self.say,
            wall_clock,
            lambda: self.last_gcs_heartbeat,
            self._outside_fence,
            self._battery_warning,
        )
        self.flight.mission_ready = lambda: self.store.mission_loaded(self._wall())
        self.missions = MissionProtocol(
            self.store, mav, self.link.send, self.say, wall_clock, self._on_stored
        )
        self.streams = StreamTable()
        self.telemetry = TelemetryBuilder(self, mav)
        self.commands = CommandHandler(self, mav)
        self._param_queue: deque[ParamValue] = deque()
        self._logger_announced = False
        self._slow_dt = 0.0
        self._handlers: dict[str, Callable[[mavlink.MAVLink_message], None]] = {
            "HEARTBEAT": self._on_heartbeat,
            "COMMAND_LONG": self._on_command_long,
            "COMMAND_INT": self._on_command_int,
            "PARAM_REQUEST_LIST": self._on_param_request_list,
            "PARAM_REQUEST_READ": self._on_param_request_read,
            "PARAM_SET": self._on_param_set,
            "TIMESYNC": self._on_timesync,
            "SETUP_SIGNING": self._on_setup_signing,
        }
        for name in MISSION_MESSAGES:
            self._handlers[name] = self.missions.handle

    # ---- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> Address:
        return await self.link.open(self._on_message, self.config.bind_host, self.config.bind_port)

    def close(self) -> None:
        self.link.close()

    # ---- facts other parts read ------------------------------------------------------------------
    def time_boot_ms(self) -> int:
        return int(self.flight.time_s * 1000.0)

    def time_unix_usec(self) -> int:
        return int(self._start_utc.timestamp() * 1e6 + self.flight.time_s * 1e6)

    def time_utc(self) -> datetime:
        return datetime.fromtimestamp(self.time_unix_usec() / 1e6, tz=UTC)

    def preflight_ok(self) -> bool:
        return not self.flight.preflight_failures()

    def system_status(self) -> int:
        flight = self.flight
        if flight.crashed:
            return mavlink.MAV_STATE_EMERGENCY
        if flight.failsafe_critical and flight.armed:
            return mavlink.MAV_STATE_CRITICAL
        if flight.armed:
            return mavlink.MAV_STATE_ACTIVE
        return mavlink.MAV_STATE_STANDBY if self.preflight_ok() else mavlink.MAV_STATE_UNINIT

    def say(self, severity: Severity, text: str) -> None:
        self.statustext.post(severity, text)

    def _set_home_here(self) -> None:
        body = self.flight.body
        lon, lat = self.frame.to_lonlat(body.east_m, body.north_m)
        self.set_home(lon, lat, self.flight.ground_amsl_at(body.east_m, body.north_m))

    def _announce_new_log(self) -> None:
        """PX4 logs from boot and opens a new ULog at every arm after the first."""
        self.say(Severity.INFO, f"[logger] ./log/{self.time_utc():%Y-%m-%d/%H_%M_%S}.ulg\t")

    def _gcs_alive(self) -> bool:
        last = self.last_gcs_heartbeat
        return last is not None and self._wall() - last < GCS_ALIVE_S

    def _battery_warning(self) -> BatteryWarning:
        p = self.params
        return self.battery.warning(p.get("BAT_LOW_THR"), p.get("BAT_CRIT_THR"), p.get("BAT_EMERGEN_THR"))

    def _outside_fence(self) -> bool:
        body = self.flight.body
        return not self.inside_geofence(body.east_m, body.north_m, self.flight.alt_rel_m)

    def inside_geofence(self, east_m: float, north_m: float, alt_rel_m: float) -> bool:
        p = self.params
        return not violates(
            self.geofence,
            east_m,
            north_m,
            alt_rel_m,
            p.get("GF_MAX_HOR_DIST"),
            p.get("GF_MAX_VER_DIST"),
            self.flight.home_en,
        )

    def _on_stored(self, mission_type: MissionType) -> None:
        if mission_type == MissionType.FENCE:
            self.geofence = geofence_from_items(self.store.get(MissionType.FENCE), self.frame)

    def set_home(self, lon: float, lat: float, alt_amsl_m: float) -> None:
        self.home = GeoPoint(lon, lat, alt_amsl_m)
        east, north = self.frame.to_en(lon, lat)
        self.flight.home_en = (east, north)
        self.flight.home_alt_amsl_m = alt_amsl_m

    def inject_failure(self, unit: FailureUnit, failure: FailureType) -> None:
        off = failure == FailureType.OFF
        if unit == FailureUnit.SENSOR_GPS:
            self._gps.failed = off
            self.flight.gps_ok = not off
        elif unit == FailureUnit.SYSTEM_BATTERY:
            self.battery.failed = off
        elif unit == FailureUnit.SYSTEM_MOTOR:
            if off and self.flight.airborne:
                self.say(Severity.CRITICAL, "Motor failure detected\t")
            self.flight.motor_failed = off

    def build_message(self, msg_id: int) -> mavlink.MAVLink_message | None:
        return self.telemetry.build_by_msg_id(msg_id)

    def set_message_interval(self, msg_id: int, interval_us: float) -> bool:
        return self.streams.set_interval(msg_id, interval_us, self._wall())

    def message_interval_us(self, msg_id: int) -> int:
        return self.streams.interval_us(msg_id)

    # ---- inbound --------------------------------------------------------------------------------
    def _on_message(self, msg: mavlink.MAVLink_message) -> None:
        if (
            msg.get_srcSystem() == self.config.system_id
            and msg.get_srcComponent() == self.config.component_id
        ):
            return  # our own frames reflected back
        handler = self._handlers.get(msg.get_type())
        if handler is None:
            return
        target_system = getattr(msg, "target_system", None)
        if target_system is not None and target_system not in (0, self.config.system_id):
            return
        target_component = getattr(msg, "target_component", None)
        if target_component is not None and target_component not in (0, self.config.component_id):
            if not (
                msg.get_type() in MISSION_MESSAGES and target_component == mavlink.MAV_COMP_ID_MISSIONPLANNER
            ):
                return
        handler(msg)

    def _on_heartbeat(self, msg: mavlink.MAVLink_heartbeat_message) -> None:
        if msg.type == mavlink.MAV_TYPE_GCS:
            self.last_gcs_heartbeat = self._wall()

    def _on_setup_signing(self, msg: mavlink.MAVLink_setup_signing_message) -> None:
        """Installs (or, with an all-zero key, removes) the MAVLink 2 signing key, as PX4 1.15+ does.

        Unsigned SETUP_SIGNING is accepted only while the link is unsigned; afterwards the decoder
        already refused any frame not signed with the current key, so only its holder can change it.
        Kept in memory: a simulator restart starts unsigned (PX4 keeps it on its SD card)."""
        key = bytes(msg.secret_key)
        self.link.set_signing_key(key, int(msg.initial_timestamp))
        self.say(Severity.INFO, "signing enabled" if self.link.signing else "signing disabled")

    def _on_command_long(self, msg: mavlink.MAVLink_command_long_message) -> None:
        self._run_command(request_from_long(msg))

    def _on_command_int(self, msg: mavlink.MAVLink_command_int_message) -> None:
        self._run_command(request_from_int(msg))

    def _run_command(self, request: CommandRequest) -> None:
        with self.statustext.after_reply():
            reply = self.commands.handle(request)
            for extra in reply.before_ack:
                self.link.send(extra)
            for leading in reply.leading_acks:
                self.link.send(self.commands.ack(request, leading))
            for _ in range(reply.ack_count):
                self.link.send(self.commands.ack(request, reply.result))

    def _on_param_request_list(self, msg: mavlink.MAVLink_message) -> None:
        self._param_queue.clear()
        self._param_queue.extend(self.params.all())

    def _on_param_request_read(self, msg: mavlink.MAVLink_param_request_read_message) -> None:
        if msg.param_index >= 0:
            value = self.params.by_index(msg.param_index)
        else:
            name = _param_name(msg.param_id)
            value = self.params.describe(name) if name in self.params else None
        if value is not None:  # PX4 stays silent about unknown parameters (trace d)
            self._send_param(value)

    def _on_param_set(self, msg: mavlink.MAVLink_param_set_message) -> None:
        name = _param_name(msg.param_id)
        if name not in self.params or not math.isfinite(msg.param_value):
            return
        self._send_param(self.params.set_from_wire(name, msg.param_value))

    def _send_param(self, value: ParamValue) -> None:
        self.link.send(
            self.link.encoder.param_value_encode(
                value.name.encode("ascii"), value.wire_value, int(value.type), value.count, value.index
            )
        )

    def _on_timesync(self, msg: mavlink.MAVLink_timesync_message) -> None:
        if msg.tc1 == 0:
            self.link.send(self.link.encoder.timesync_encode(self.time_boot_ms() * 1_000_000, msg.ts1))

    # ---- the step -------------------------------------------------------------------------------
    def advance(self, dt_s: float) -> None:
        """Advances the vehicle by ``dt_s`` of vehicle time: dynamics every call, the slower subsystems
        (GPS receiver, battery, failsafe checks) at ~10 Hz of vehicle time."""
        flight = self.flight
        flight.step(dt_s, self.wind.total_en, self.wind.gust_en)
        body = flight.body
        self.lon, self.lat = self.frame.to_lonlat(body.east_m, body.north_m)
        self.ground_amsl_m = flight.ground_amsl_at(body.east_m, body.north_m)
        self._slow_dt += dt_s
        if self._slow_dt < SLOW_PERIOD_S:
            return
        slow_dt, self._slow_dt = self._slow_dt, 0.0
        self.gps_reading = self._gps.step(slow_dt)
        self.battery.step(slow_dt, flight.armed, flight.airborne, body.airspeed, body.v_up)
        if self.home is None and flight.time_s >= HOME_SET_AFTER_S:
            home = self._pending_home
            self.set_home(home.lon, home.lat, home.alt_amsl_m)
        if not self._logger_announced and flight.time_s >= 2.2:
            self._logger_announced = True
            self._announce_new_log()
        self.failsafes.step()

    def communicate(self) -> None:
        """Protocol timers and due telemetry, on the wall clock (design contract 8)."""
        self.missions.tick()
        self.statustext.tick()
        self.self_commands.tick()
        self._send_due()

    def step(self, dt_s: float) -> None:
        self.advance(dt_s)
        self.communicate()

    def _send_due(self) -> None:
        now = self._wall()
        send = self.link.send
        telemetry = self.telemetry
        first_reached = telemetry.new_item_reached()
        if first_reached is not None:
            send(first_reached)
        for stream_id in self.streams.due(now):
            msg = telemetry.build(stream_id)
            if msg is not None:
                send(msg)
            if stream_id == StreamId.MISSION_CURRENT:
                reached = telemetry.mission_item_reached()
                if reached is not None:
                    send(reached)
        if self._param_queue:
            for _ in range(min(PARAMS_PER_TICK, len(self._param_queue))):
                self._send_param(self._param_queue.popleft())

    @property
    def landed(self) -> bool:
        return self.flight.landed_state == LandedState.ON_GROUND


def _param_name(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="replace")
    return raw.split("\x00", 1)[0]
