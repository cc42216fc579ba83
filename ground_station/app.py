"""The FastAPI application factory and its lifespan: what starts, in which order, and how it stops.

Start order: store (migrated) -> region -> bus -> its consumers (recorder, state cache, telemetry hub)
-> vehicle links. Consumers subscribe before the links start so no early message is missed; shutdown is
the reverse, and the recorder flushes its last batch after the links have stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from fastapi import FastAPI

from ground_station.api.body_limit import BodySizeLimit
from ground_station.api.context import StationContext
from ground_station.api.errors import install_error_handlers
from ground_station.api.routes import (
    admin,
    alerts,
    auth,
    cameras,
    flights,
    geo,
    health,
    missions,
    telemetry_ws,
    vehicles,
)
from ground_station.api.telemetry_hub import TelemetryHub
from ground_station.api.vehicle_control import NoVehicleControl, VehicleControl
from ground_station.api.vehicle_state import VehicleStateCache
from ground_station.auth.secret import load_or_create_secret
from ground_station.auth.tokens import TokenService
from ground_station.bus.base import Bus
from ground_station.bus.inprocess import InProcessBus
from ground_station.config import StationSettings
from ground_station.store.models import Organisation
from ground_station.store.recorder import Recorder
from ground_station.store.sqlite import open_sqlite_store
from ground_station.video import api as video_api
from ground_station.web import status

log = logging.getLogger(__name__)


class VehicleLinks(Protocol):
    """The running vehicle layer: started after the bus consumers, stopped before them."""

    @property
    def control(self) -> VehicleControl: ...

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


LinksFactory = Callable[[StationSettings, Bus, Any | None], Awaitable[VehicleLinks]]
RegionLoader = Callable[[StationSettings], Any]


@dataclass
class _IdleLinks:
    control: VehicleControl

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


async def no_links(settings: StationSettings, bus: Bus, region: Any | None) -> VehicleLinks:
    return _IdleLinks(NoVehicleControl([v.slug for v in settings.vehicles]))


@dataclass
class _CoreLinks:
    """The vehicle layer of ``ground_station.vehicles``: routers, MAVSDK sessions, fleet and monitor."""

    core: Any

    @property
    def control(self) -> VehicleControl:
        fleet: VehicleControl = self.core.fleet
        return fleet

    async def start(self) -> None:
        await self.core.start()

    async def stop(self) -> None:
        await self.core.stop()


async def fleet_links(settings: StationSettings, bus: Bus, region: Any | None) -> VehicleLinks:
    """The real vehicle layer for the configured vehicles, publishing on the service's bus."""
    from ground_station.vehicles.station import StationCore, StationVehicle

    core = StationCore(
        [StationVehicle(v.slug, v.mavlink_url) for v in settings.vehicles],
        tlog_dir=settings.tlog_dir,
        region=region,
        bus=bus,
    )
    return _CoreLinks(core)


def load_configured_region(settings: StationSettings) -> Any:
    from geodata.atlas import load_region

    return load_region(settings.region, data_dir=settings.data_dir, dem_paths=settings.dem_paths or None)


def create_app(
    settings: StationSettings,
    *,
    links_factory: LinksFactory = fleet_links,
    region_loader: RegionLoader | None = load_configured_region,
    region: Any | None = None,
) -> FastAPI:
    """``region`` short-cuts loading (tests share one loaded region); ``region_loader=None`` skips it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = await open_sqlite_store(settings.sqlite_path, settings.storage.busy_timeout_ms)
        try:
            await store.organisations.ensure(
                Organisation(
                    settings.organisation.slug, settings.organisation.name, settings.organisation.country
                )
            )
            secret = load_or_create_secret(settings.jwt_secret_file)
            loaded, region_error = region, None
            if loaded is None and region_loader is not None:
                try:
                    loaded = await asyncio.to_thread(region_loader, settings)
                except Exception as exc:  # a broken region must not stop telemetry; it is reported
                    region_error = f"region {settings.region!r} could not be loaded: {exc}"
                    log.error("%s", region_error)
            elif loaded is None:
                region_error = "region loading disabled"
            bus = InProcessBus()
            recorder = Recorder(bus, store)
            states = VehicleStateCache(bus)
            hub = TelemetryHub(bus)
            await recorder.start()
            await states.start()
            await hub.start()
            links = await links_factory(settings, bus, loaded)
            from ground_station.video.service import VideoService

            video = VideoService(settings, bus, loaded)
            tokens = TokenService(
                secret,
                timedelta(minutes=settings.auth.access_token_minutes),
                timedelta(days=settings.auth.refresh_token_days),
                store.users,
                store.refresh_tokens,
            )
            app.state.context = StationContext(
                settings=settings,
                store=store,
                bus=bus,
                tokens=tokens,
                hub=hub,
                vehicle_states=states,
                control=links.control,
                region=loaded,
                region_error=region_error,
                recorder=recorder,
                video=video,
            )
            app.state.recorder = recorder
            await links.start()
            await video.start()
            try:
                yield
            finally:
                await video.stop()
                await links.stop()
                await hub.stop()
                await states.stop()
                await recorder.stop()
                await bus.close()
        finally:
            await store.close()

    app = FastAPI(
        title="borderwatch ground station",
        version="0.1.0",
        description=(
            "Drone missions and telemetry for cross-border public-safety work (CZ-PL). Every route except "
            "login, token refresh, health and these docs needs a bearer token: POST /api/auth/token."
        ),
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=lambda: settings.max_input_bytes)
    for router in (
        health.router,
        auth.router,
        vehicles.router,
        missions.router,
        flights.router,
        alerts.router,
        geo.router,
        telemetry_ws.router,
        admin.router,
        cameras.router,
        video_api.router,
        status.router,
    ):
        app.include_router(router)
    return app
