"""Health: a public, cheap verdict for load balancers, and per-component details for operators.

``/api/health`` answers 200 (``ok`` or ``degraded``: e.g. a vehicle link is down) while the store,
monitor and recorder work, 503 when one of them fails. It carries no data beyond that verdict.
``/api/health/details`` (authenticated) names each component with its counters and last error.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

from ground_station.api.context import StationContext, get_context
from ground_station.api.health_report import (
    DECIDING,
    ComponentHealth,
    HealthDetails,
    HealthStatus,
    LinksHealth,
    overall,
    store_health,
)
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: HealthStatus
    region_loaded: bool
    failing: list[str] = []
    """Which of store/monitor/recorder fail (names only; the reasons need a token)."""


async def collect(context: StationContext) -> HealthDetails:
    durable = context.durable
    components: dict[str, ComponentHealth] = {
        "store": await store_health(context.store, durable.last_store_error, durable.journal.has_pending)
    }
    recorder = context.recorder
    if recorder is None:
        components["recorder"] = ComponentHealth(status=HealthStatus.ABSENT)
    else:
        problem = recorder.problem()
        components["recorder"] = ComponentHealth(
            status=HealthStatus.FAILING if problem else HealthStatus.OK,
            last_error=problem or recorder.last_error,
            counters={
                "points_written": recorder.points_written,
                "points_dropped": recorder.points_dropped,
                "points_pending": recorder.points_pending,
                "records_journalled": durable.spilled,
                "records_replayed": durable.journal.replayed,
                "records_lost": recorder.lost_records,
            },
        )
    links: LinksHealth = context.links_health() if context.links_health else LinksHealth()
    if not links.monitor_running:
        components["monitor"] = ComponentHealth(status=HealthStatus.ABSENT)
    else:
        degraded = links.monitor_degraded
        components["monitor"] = ComponentHealth(
            status=(
                HealthStatus.FAILING
                if links.monitor_problem
                else HealthStatus.DEGRADED
                if degraded
                else HealthStatus.OK
            ),
            last_error=links.monitor_problem or next(iter(degraded.values()), None),
            counters={"bus_dropped": links.monitor_dropped},
            detail={"degraded_vehicles": degraded},
        )
    for link in links.links:
        snapshot = context.vehicle_states.get(link.vehicle_id).link
        connected = bool(snapshot and snapshot.connected)
        components[f"link:{link.vehicle_id}"] = ComponentHealth(
            status=HealthStatus.OK if connected and not link.tlog_error else HealthStatus.DEGRADED,
            last_error=link.tlog_error or (None if connected else "no heartbeat from the vehicle"),
            counters=dict(link.counters),
            detail={"url": link.url, "connected": connected},
        )
    bus_dropped: dict[str, int] = {}
    for subscription in getattr(context.bus, "subscriptions", ()):
        bus_dropped[subscription.pattern] = bus_dropped.get(subscription.pattern, 0) + subscription.dropped
    components["bus"] = ComponentHealth(
        status=HealthStatus.OK, counters={"dropped_total": sum(bus_dropped.values())}, detail=bus_dropped
    )
    return HealthDetails(status=overall(components), components=components)


@router.get("/api/health", response_model=Health, responses={503: {"model": Health}})
async def health(response: Response, context: StationContext = Depends(get_context)) -> Health:
    details = await collect(context)
    failing = [n for n in DECIDING if details.components[n].status is HealthStatus.FAILING]
    if details.status is HealthStatus.FAILING:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(status=details.status, region_loaded=context.region is not None, failing=failing)


@router.get("/api/health/details", response_model=HealthDetails)
async def health_details(
    _principal: Principal = Depends(require(Permission.VIEW_AUDIT)),
    context: StationContext = Depends(get_context),
) -> HealthDetails:
    return await collect(context)
