"""The simulated world: terrain, wind, moving ground objects and the vehicles, stepped by one loop.

One asyncio task ticks everything at 100 Hz wall-clock; vehicle time advances ``speed`` times faster,
and the vehicles' link timers run on the clock's link time, one tick's worth per tick (``sim/clock.py``).
The world is also the camera simulator's read-only ``SceneSource``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from geodata.terrain import Terrain
from sim.battery import BatterySpec
from sim.clock import SimClock
from sim.geo import GeoPoint
from sim.ground_objects import GroundTraffic
from sim.scenario import Scenario
from sim.scene import GroundObject, VehiclePose
from sim.terrain_source import elevation_at
from sim.vehicle import Vehicle, VehicleConfig
from sim.wind import WindField, WindSettings

log = logging.getLogger(__name__)

TICK_S = 0.01
MAX_BACKLOG_S = 0.5
TRAFFIC_EVERY_TICKS = 10
# Dynamics at 50 Hz wall (vehicle time steps of 0.02 s x speed); telemetry is checked every 10 ms tick,
# so 100 Hz ATTITUDE keeps its rate.
PHYSICS_EVERY_TICKS = 2


@dataclass(frozen=True)
class WorldPorts:
    host: str = "127.0.0.1"
    base_port: int = 14540
    # Vehicle i (1-based) sends to base_port + i; tests pass explicit GCS ports instead.
    gcs_ports: tuple[int, ...] | None = None

    def gcs_port(self, index_1based: int) -> int:
        if self.gcs_ports is not None:
            return self.gcs_ports[index_1based - 1]
        return self.base_port + index_1based


@dataclass
class SlowerStep:
    """A part stepped every ``period_ticks`` ticks, by the vehicle time that passed since its last step.

    Not by the current tick's dt times the period: after a speed change between two of its steps the two
    differ, and vehicle time on the wire (time_boot_ms) would drift from the clock that maps it back to
    link time."""

    period_ticks: int
    last_sim_s: float = 0.0

    def elapsed_if_due(self, clock: SimClock) -> float | None:
        if clock.ticks % self.period_ticks:
            return None
        elapsed_s, self.last_sim_s = clock.sim_time_s - self.last_sim_s, clock.sim_time_s
        return elapsed_s


class World:
    def __init__(
        self,
        scenario: Scenario,
        terrain: Terrain,
        speed: float = 1.0,
        ports: WorldPorts | None = None,
    ) -> None:
        if not (0.01 <= speed <= 1000.0) or not math.isfinite(speed):
            raise ValueError(f"speed factor must be between 0.01 and 1000, got {speed}")
        self.scenario = scenario
        self._terrain = terrain
        self.clock = SimClock(speed=speed, tick_s=TICK_S)
        self.ports = ports or WorldPorts()
        w = scenario.wind
        self.wind = WindField(
            WindSettings(w.speed_mps, w.from_deg, w.gust_sigma_mps, w.gust_tau_s), seed=scenario.seed
        )
        self.traffic = GroundTraffic(list(scenario.ground_objects), seed=scenario.seed)
        self.vehicles: dict[str, Vehicle] = {}
        for index, spec in enumerate(scenario.vehicles, start=1):
            home_alt = spec.home.alt_amsl_m
            if home_alt is None:
                home_alt = elevation_at(terrain, spec.home.lon, spec.home.lat, 0.0)
            config = VehicleConfig(
                slug=spec.slug,
                home=GeoPoint(spec.home.lon, spec.home.lat, home_alt),
                gcs_address=(self.ports.host, self.ports.gcs_port(index)),
                system_id=spec.system_id,
                battery=BatterySpec(
                    capacity_mah=spec.battery.capacity_mah,
                    cells=spec.battery.cells,
                    initial_remaining=spec.battery.initial_remaining,
                    hover_current_a=spec.battery.hover_current_a,
                ),
                param_overrides=dict(spec.params),
                seed=scenario.seed * 1000 + index,
            )
            self.vehicles[spec.slug] = Vehicle(
                config, terrain, self.wind, start_utc=self.clock.start_utc, wall_clock=self.clock.link_s
            )
        self._stop = asyncio.Event()
        self._traffic_steps = SlowerStep(TRAFFIC_EVERY_TICKS)
        self._physics_steps = SlowerStep(PHYSICS_EVERY_TICKS)
        self.late_ticks = 0
        self.faulted: set[str] = set()

    # ---- SceneSource ----------------------------------------------------------------------------
    @property
    def terrain(self) -> Terrain:
        return self._terrain

    @property
    def sim_time_s(self) -> float:
        return self.clock.sim_time_s

    def ground_objects(self) -> Sequence[GroundObject]:
        return self.traffic.objects()

    def vehicle_pose(self, slug: str) -> VehiclePose:
        vehicle = self.vehicles[slug]
        body = vehicle.flight.body
        return VehiclePose(
            lon=vehicle.lon,
            lat=vehicle.lat,
            alt_amsl_m=body.alt_amsl_m,
            roll_deg=math.degrees(body.roll),
            pitch_deg=math.degrees(body.pitch),
            yaw_deg=math.degrees(body.yaw) % 360.0,
            gimbal_pitch_deg=vehicle.flight.gimbal_pitch_deg,
            gimbal_yaw_deg=vehicle.flight.gimbal_yaw_deg,
            time_utc=vehicle.time_utc(),
        )

    # ---- running --------------------------------------------------------------------------------
    async def start(self) -> None:
        for vehicle in self.vehicles.values():
            await vehicle.start()

    def step(self) -> None:
        dt = self.clock.advance()
        self.wind.step(dt)
        traffic_dt_s = self._traffic_steps.elapsed_if_due(self.clock)
        if traffic_dt_s is not None:
            self.traffic.step(traffic_dt_s)
        physics_dt_s = self._physics_steps.elapsed_if_due(self.clock)
        for slug, vehicle in self.vehicles.items():
            try:
                if physics_dt_s is not None:
                    vehicle.advance(physics_dt_s)
                vehicle.communicate()
            except Exception:  # one vehicle's bug must not freeze the others (logged once per vehicle)
                if slug not in self.faulted:
                    self.faulted.add(slug)
                    log.exception("vehicle %s failed while stepping; it keeps running", slug)

    async def run(self) -> None:
        """Ticks until :meth:`stop`; when behind, catches up without sleeping, but never by more than
        MAX_BACKLOG_S (the rest is dropped and shows in the real-time factor)."""
        next_tick = time.monotonic()
        self.clock.wall_start = next_tick
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_tick:
                await asyncio.sleep(next_tick - now)
                continue
            self.step()
            next_tick += TICK_S
            behind = time.monotonic() - next_tick
            if behind > MAX_BACKLOG_S:
                self.late_ticks += int(behind / TICK_S)
                self.clock.dropped_s += behind
                next_tick = time.monotonic()
            # Let datagrams in even when catching up.
            await asyncio.sleep(0)

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self.stop()
        for vehicle in self.vehicles.values():
            vehicle.close()
