"""What the station knows about its own health, per component, as typed models.

Three components decide whether the station is up: the store (reads answer, writes are accepted), the
monitor (its tasks run) and the recorder (its tasks run, nothing is lost). Vehicle links that are down
make the station ``degraded``, not failing: it still watches the others. The public ``/api/health``
shows only the verdict; the component details (with last errors) need a token.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ground_station.store.errors import StoreError

if TYPE_CHECKING:
    from ground_station.api.context import StationContext

DECIDING = ("store", "monitor", "recorder")
"""Components whose failure makes ``/api/health`` answer 503."""


class HealthStatus(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    FAILING = "failing"
    ABSENT = "absent"
    """Not part of this station (no vehicle layer in a test, no video yet)."""


class ComponentHealth(BaseModel):
    status: HealthStatus
    last_error: str | None = None
    counters: dict[str, int | float] = Field(default_factory=dict)
    detail: dict[str, Any] = Field(default_factory=dict)


class HealthDetails(BaseModel):
    status: HealthStatus
    components: dict[str, ComponentHealth]
    """``store``, ``recorder``, ``monitor``, ``bus``, ``link:<vehicle>``; video and sharing can add theirs."""


@dataclass
class LinkHealth:
    vehicle_id: str
    url: str
    tlog_error: str | None = None
    counters: dict[str, int] = field(default_factory=dict)


@dataclass
class LinksHealth:
    """What the vehicle layer reports: its monitor (None when there is none) and each vehicle's link."""

    monitor_problem: str | None = None
    monitor_degraded: dict[str, str] = field(default_factory=dict)
    monitor_dropped: int = 0
    monitor_running: bool = False
    links: list[LinkHealth] = field(default_factory=list)


def overall(components: dict[str, ComponentHealth]) -> HealthStatus:
    if any(components[name].status is HealthStatus.FAILING for name in DECIDING if name in components):
        return HealthStatus.FAILING
    if any(c.status in (HealthStatus.FAILING, HealthStatus.DEGRADED) for c in components.values()):
        return HealthStatus.DEGRADED
    return HealthStatus.OK


async def store_health(store: Any, write_error: str | None, journal_pending: bool) -> ComponentHealth:
    """A read probe (cheap: ``SELECT 1`` on the read connection) and the last refused write."""
    try:
        await store.ping()
    except StoreError as exc:
        return ComponentHealth(status=HealthStatus.FAILING, last_error=str(exc))
    if write_error is not None:
        return ComponentHealth(
            status=HealthStatus.FAILING, last_error=write_error, detail={"journal_pending": journal_pending}
        )
    return ComponentHealth(status=HealthStatus.OK, detail={"journal_pending": journal_pending})


async def collect(context: StationContext) -> HealthDetails:
    """Every component's state, read from the running objects (no I/O but one ``SELECT 1``)."""
    durable = context.durable
    components: dict[str, ComponentHealth] = {
        "store": await store_health(context.store, durable.last_store_error, durable.journal.has_pending)
    }
    recorder = context.recorder
    if recorder is None:
        components["recorder"] = ComponentHealth(status=HealthStatus.ABSENT)
    else:
        problem, losses = recorder.problem(), recorder.losses()
        components["recorder"] = ComponentHealth(
            status=HealthStatus.FAILING if problem else HealthStatus.DEGRADED if losses else HealthStatus.OK,
            last_error=problem or losses or recorder.last_error or recorder.detections.last_error,
            counters={
                "points_written": recorder.points_written,
                "points_dropped": recorder.points_dropped,
                "points_pending": recorder.points_pending,
                "records_journalled": durable.spilled,
                "records_replayed": durable.journal.replayed,
                "records_lost": recorder.lost_records,
                "detections_written": recorder.detections.written,
                "detections_dropped": recorder.detections_dropped,
                "detections_pending": recorder.detections.pending,
                "detections_pruned": recorder.detections.pruned,
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
