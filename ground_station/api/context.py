"""What route handlers reach through ``request.app.state``: one typed object, built by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request, WebSocket

from ground_station.api.telemetry_hub import TelemetryHub
from ground_station.api.vehicle_state import VehicleStateCache
from ground_station.auth.throttle import LoginThrottle
from ground_station.auth.tokens import TokenService
from ground_station.bus.base import Bus
from ground_station.config import StationSettings
from ground_station.store.durable import DurableWriter
from ground_station.store.recorder import Recorder
from ground_station.store.repositories import Store

if TYPE_CHECKING:
    from ground_station.api.health_report import LinksHealth
    from ground_station.api.vehicle_control import VehicleControl
    from ground_station.video.service import VideoService


@dataclass
class StationContext:
    settings: StationSettings
    store: Store
    bus: Bus
    tokens: TokenService
    hub: TelemetryHub
    vehicle_states: VehicleStateCache
    control: VehicleControl
    region: Any | None
    """``geodata.atlas.Region`` once loaded; ``None`` when the region could not be loaded (reported)."""
    durable: DurableWriter
    """Audit rows (and the recorder's alerts/flight events) go here: the store, else the spill journal."""
    region_error: str | None = None
    recorder: Recorder | None = None
    links_health: Callable[[], LinksHealth] | None = None
    login_throttle: LoginThrottle | None = None
    sharing: Any | None = None
    """``ground_station.sharing.service.SharingService`` (agreements, incidents, partner links)."""
    video: VideoService | None = None


def get_context(request: Request) -> StationContext:
    context: StationContext = request.app.state.context
    return context


def get_ws_context(websocket: WebSocket) -> StationContext:
    context: StationContext = websocket.app.state.context
    return context
