"""``borderwatch sim run``: builds the world from a scenario, starts vehicles, cameras and the control
API, writes the ready-json (design contract 6) and runs until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geodata.terrain import DemTerrain, Terrain
from sim.control_api import ControlServer, create_control_app
from sim.faults import FaultController
from sim.ready import (
    DEFAULT_BASE_PORT,
    ReadyCamera,
    ReadyHome,
    ReadyInfo,
    ReadyVehicle,
    default_ready_path,
    write_ready_json,
)
from sim.scenario import CameraKind, Scenario, default_scenario, load_scenario, with_vehicle_count
from sim.terrain_source import flat_terrain_for_homes
from sim.world import World, WorldPorts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOptions:
    scenario_path: Path | None = None
    vehicles: int | None = None
    speed: float = 1.0
    base_port: int = DEFAULT_BASE_PORT
    ready_json: Path | None = None
    control_port: int = 0
    dem: Path | None = None
    region: str | None = None
    cameras: bool = True
    camera_ports_ephemeral: bool = False
    sdp_dir: Path | None = None


@dataclass(frozen=True)
class TerrainChoice:
    terrain: Terrain
    label: str
    notice: str | None


def choose_terrain(scenario: Scenario, options: RunOptions) -> TerrainChoice:
    """Explicit DEM > scenario DEM > the region's DEM search (same DEM as the ground station) > flat."""
    dem = options.dem or scenario.terrain.dem
    if dem is not None:
        return TerrainChoice(
            DemTerrain.open(dem, vertical_accuracy_m=scenario.terrain.vertical_accuracy_m), f"dem:{dem}", None
        )
    try:
        from geodata.atlas import load_region

        region = load_region(options.region)
        if region.terrain_status.has_dem:
            return TerrainChoice(region.terrain, f"dem:{region.terrain.name}", None)
        region_notice = region.terrain_status.message
    except Exception as exc:  # a broken or absent region must not stop the simulator: fly flat, loudly
        region_notice = f"region terrain unavailable ({exc})"
    homes = [(v.home.lon, v.home.lat, v.home.alt_amsl_m or 0.0) for v in scenario.vehicles]
    terrain = flat_terrain_for_homes(homes)
    notice = (
        f"NO TERRAIN MODEL: {region_notice}. The simulated world is {terrain.name}; "
        "get a DEM with `borderwatch geodata` (Copernicus GLO-30) or pass --dem PATH."
    )
    return TerrainChoice(terrain, "flat", notice)


def _camera_specs(scenario: Scenario, ephemeral: bool) -> list[Any]:
    from sim.camera.spec import CameraKind as FeedKind
    from sim.camera.spec import CameraSpec as FeedSpec
    from sim.camera.spec import FixedMount

    specs = []
    for index, cam in enumerate(scenario.cameras):
        common: dict[str, Any] = {
            "id": cam.id,
            "hfov_deg": cam.hfov_deg,
            "vfov_deg": cam.vfov_deg,
            "width": cam.width,
            "height": cam.height,
            "fps": cam.fps,
            "burn_in_clock": cam.burn_in_clock,
            "seed": scenario.seed + index,
        }
        if ephemeral:
            common["port"] = 0
        if cam.kind == CameraKind.DRONE:
            specs.append(FeedSpec(kind=FeedKind.DRONE, vehicle_slug=cam.vehicle, **common))
        else:
            assert cam.lon is not None and cam.lat is not None
            mount = FixedMount(
                lon=cam.lon, lat=cam.lat, mount_height_agl_m=cam.height_m, heading_deg=cam.heading_deg,
                tilt_deg=cam.tilt_deg,
            )  # fmt: skip
            specs.append(FeedSpec(kind=FeedKind.FIXED, mount=mount, transport=cam.transport, **common))
    return specs


class Simulation:
    """Everything ``sim run`` starts, in start order; ``stop`` undoes it in reverse."""

    def __init__(self, options: RunOptions, say: Callable[[str], None] = print) -> None:
        self.options = options
        self._say = say
        scenario = load_scenario(options.scenario_path) if options.scenario_path else default_scenario()
        if options.vehicles is not None:
            scenario = with_vehicle_count(scenario, options.vehicles)
        self.scenario = scenario
        self.terrain = choose_terrain(scenario, options)
        self.world = World(
            scenario, self.terrain.terrain, speed=options.speed, ports=WorldPorts(base_port=options.base_port)
        )
        self.faults = FaultController(self.world.vehicles, self.world.wind)
        self.control = ControlServer(create_control_app(self.world, self.faults), port=options.control_port)
        self._cameras: Any = None
        self.world_task: asyncio.Task[None] | None = None
        self.ready: ReadyInfo | None = None

    async def start(self) -> ReadyInfo:
        if self.terrain.notice:
            self._say(self.terrain.notice)
        await self.world.start()
        self.world_task = asyncio.create_task(self.world.run())
        await self.control.start()
        cameras = await self._start_cameras()
        vehicles = []
        for index, (slug, vehicle) in enumerate(self.world.vehicles.items(), start=1):
            port = self.world.ports.gcs_port(index)
            home = vehicle.config.home
            ground = vehicle.flight.home_alt_amsl_m
            vehicles.append(
                ReadyVehicle(
                    slug=slug,
                    system_id=vehicle.config.system_id,
                    mavlink_url=f"udpin://127.0.0.1:{port}",
                    home=ReadyHome(lon=home.lon, lat=home.lat, alt_amsl_m=ground),
                )
            )
        self.ready = ReadyInfo(
            control_url=self.control.url,
            speed=self.options.speed,
            vehicles=vehicles,
            cameras=cameras,
            terrain=self.terrain.label,
        )
        for entry in vehicles:
            self._say(f"vehicle {entry.slug} (system id {entry.system_id}): {entry.mavlink_url}")
        for camera in cameras:
            self._say(f"camera {camera.id} ({camera.kind}): {camera.stream_url}")
        self._say(f"control API: {self.control.url}  speed x{self.options.speed:g}")
        ready_path = self.options.ready_json or default_ready_path()
        write_ready_json(ready_path, self.ready)
        self._say(f"ready: {ready_path}")
        return self.ready

    async def _start_cameras(self) -> list[ReadyCamera]:
        if not self.options.cameras or not self.scenario.cameras:
            return []
        try:
            from sim.camera.streams import start_camera_streams
        except ImportError as exc:
            self._say(f"cameras disabled: the camera simulator is not available ({exc})")
            return []
        sdp_dir = self.options.sdp_dir or (self.options.ready_json or default_ready_path()).parent / "sdp"
        sdp_dir.mkdir(parents=True, exist_ok=True)
        specs = _camera_specs(self.scenario, self.options.camera_ports_ephemeral)
        self._cameras = await start_camera_streams(self.world, specs, sdp_dir=sdp_dir)
        out = []
        for endpoint in self._cameras.endpoints:
            data = endpoint.model_dump(mode="json")
            out.append(ReadyCamera.model_validate({k: data.get(k) for k in ReadyCamera.model_fields}))
        return out

    async def stop(self) -> None:
        if self._cameras is not None:
            await self._cameras.stop()
        await self.control.stop()
        self.world.stop()
        if self.world_task is not None:
            # Its failure (if any) was reported when it ended; stopping must still release every port.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self.world_task, 5)
        self.world.close()


async def run_until_stopped(options: RunOptions, say: Callable[[str], None] = print) -> None:
    """Runs the simulation until SIGINT/SIGTERM; always stops cleanly and removes the ready-json."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    simulation = Simulation(options, say)
    ready_path = options.ready_json or default_ready_path()
    try:
        await simulation.start()
        stopped = asyncio.create_task(stop.wait())
        watched = [stopped] + ([simulation.world_task] if simulation.world_task else [])
        await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if simulation.world_task is not None and simulation.world_task.done():
            task = simulation.world_task
            error = None if task.cancelled() else task.exception()
            say(f"the simulation loop ended unexpectedly: {error!r}")
    finally:
        say("stopping simulator")
        await simulation.stop()
        with contextlib.suppress(OSError):
            os.unlink(ready_path)  # the ready-json means "up": it must not outlive the simulator
