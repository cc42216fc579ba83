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
from ground_station.api.docs import install_offline_docs
from ground_station.api.errors import install_error_handlers
from ground_station.api.headers import SecurityHeaders
from ground_station.api.health_report import LinkHealth, LinksHealth
from ground_station.api.readiness import ReadinessGate
from ground_station.api.routes import (
    admin,
    alerts,
    auth,
    cameras,
    flights,
    geo,
    health,
    mapdata,
    mission_files,
    missions,
    patterns,
    telemetry_ws,
    vehicles,
)
from ground_station.api.telemetry_hub import TelemetryHub
from ground_station.api.vehicle_control import NoVehicleControl, VehicleControl
from ground_station.api.vehicle_state import VehicleStateCache
from ground_station.auth.clock import Clock, SystemClock
from ground_station.auth.secret import load_or_create_secret
from ground_station.auth.throttle import LoginThrottle, ThrottleSettings
from ground_station.auth.tokens import TokenService
from ground_station.bus.base import Bus
from ground_station.bus.inprocess import InProcessBus
from ground_station.config import StationSettings
from ground_station.demo_data import refuse_demo_accounts
from ground_station.sharing import routes as sharing_routes
from ground_station.store.durable import DurableWriter
from ground_station.store.journal import Journal
from ground_station.store.models import Organisation
from ground_station.store.recorder import Recorder
from ground_station.store.sqlite import open_sqlite_store
from ground_station.video import api as video_api
from ground_station.video import detections_api
from ground_station.web import status, ui

log = logging.getLogger(__name__)


class VehicleLinks(Protocol):
    """The running vehicle layer: started after the bus consumers, stopped before them."""

    @property
    def control(self) -> VehicleControl: ...

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def links_health_of(links: VehicleLinks) -> Callable[[], LinksHealth] | None:
    """The vehicle layer's health reporter, when it has one (the idle layer of tests has none)."""
    reporter = getattr(links, "health", None)
    return reporter if callable(reporter) else None


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

    def health(self) -> LinksHealth:
        """Monitor tasks and geographic checks, and per vehicle its link URL, tlog error and counters."""
        monitor = self.core.monitor
        links = []
        for router in self.core.routers:
            counters = {name: int(value) for name, value in vars(router.counters).items()}
            for vehicle_id, recorder in router.recorders.items():
                links.append(LinkHealth(vehicle_id, router.url, recorder.error, counters))
        return LinksHealth(
            monitor_problem=monitor.problem(),
            monitor_degraded=dict(monitor.degraded),
            monitor_dropped=monitor.dropped,
            monitor_running=True,
            links=links,
        )


async def fleet_links(settings: StationSettings, bus: Bus, region: Any | None) -> VehicleLinks:
    """The real vehicle layer for the configured vehicles, publishing on the service's bus."""
    from ground_station.links.signing import key_path, load_key
    from ground_station.vehicles.station import StationCore, StationVehicle

    core = StationCore(
        [
            StationVehicle(v.slug, v.mavlink_url, signing_key=load_key(key_path(settings.data_dir, v.slug)))
            for v in settings.vehicles
        ],
        tlog_dir=settings.tlog_dir,
        region=region,
        bus=bus,
    )
    return _CoreLinks(core)


def load_configured_region(settings: StationSettings) -> Any:
    from geodata.atlas import load_region

    return load_region(settings.region, data_dir=settings.data_dir, dem_paths=settings.dem_paths or None)


async def start_sharing(settings: StationSettings, store: Any, bus: Bus, durable: DurableWriter) -> Any:
    """Agreements, incidents and (when configured) the partner links; after the store, before the links,
    so the gateway subscribes before the first position is published."""
    from ground_station.sharing.repository import SharingRepository
    from ground_station.sharing.service import SharingService

    service = SharingService(
        settings.organisation.slug, settings.sharing, SharingRepository(store.database), store, bus, durable
    )
    await service.start()
    return service


def create_app(
    settings: StationSettings,
    *,
    links_factory: LinksFactory = fleet_links,
    region_loader: RegionLoader | None = load_configured_region,
    region: Any | None = None,
    clock: Clock | None = None,
) -> FastAPI:
    """``region`` short-cuts loading (tests share one loaded region); ``region_loader=None`` skips it.

    ``clock`` decides token expiry, WebSocket session ends and login throttling (tests inject one)."""
    station_clock: Clock = clock or SystemClock()
    durable_ref: list[DurableWriter] = []  # the running station's, for the readiness gate

    def not_ready() -> str | None:
        return durable_ref[0].not_ready_reason if durable_ref else None

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
            # a deployment must never run with the demo's printed-password accounts (demo_data.py)
            await refuse_demo_accounts(store.users, settings.data_dir)
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
            durable = DurableWriter(store, Journal(settings.journal_path))
            durable_ref.append(durable)
            days = settings.storage.detection_retention_days
            recorder = Recorder(
                bus, store, durable, detection_retention=timedelta(days=days) if days is not None else None
            )
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
                station_clock,
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
                durable=durable,
                links_health=links_health_of(links),
                login_throttle=LoginThrottle(
                    station_clock,
                    ThrottleSettings(
                        free_failures=settings.auth.login_free_failures,
                        base_delay_s=settings.auth.login_base_delay_s,
                        max_delay_s=settings.auth.login_max_delay_s,
                    ),
                ),
                video=video,
            )
            app.state.recorder = recorder
            sharing = await start_sharing(settings, store, bus, durable)
            app.state.context.sharing = sharing
            await links.start()
            await video.start()
            try:
                yield
            finally:
                await video.stop()
                await links.stop()
                await sharing.stop()
                await hub.stop()
                await states.stop()
                await recorder.stop()
                await bus.close()
        finally:
            durable_ref.clear()
            await store.close()

    app = FastAPI(
        title="borderwatch ground station",
        version="0.1.0",
        description=(
            "Drone missions and telemetry for cross-border public-safety work (CZ-PL). Every route except "
            "login, token refresh, health and these docs needs a bearer token: POST /api/auth/token."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_exception_handler(vehicles.CommandRefused, vehicles.command_refused_handler)  # type: ignore[arg-type]
    install_offline_docs(app)
    app.add_middleware(BodySizeLimit, max_bytes=lambda: settings.max_input_bytes)
    app.add_middleware(ReadinessGate, reason=not_ready)
    app.add_middleware(SecurityHeaders)  # outermost: the 413 of BodySizeLimit gets the headers too
    for router in (
        health.router,
        auth.router,
        vehicles.router,
        missions.router,
        mission_files.router,
        patterns.router,
        flights.router,
        alerts.router,
        geo.router,
        mapdata.router,
        telemetry_ws.router,
        admin.router,
        cameras.router,
        video_api.router,
        detections_api.router,
        status.router,
        ui.router,
        sharing_routes.router,
    ):
        app.include_router(router)
    ui.mount_assets(app)
    return app
