"""Health: a public, cheap verdict for load balancers, and per-component details for operators.

``/api/health`` answers 200 (``ok`` or ``degraded``: e.g. a vehicle link is down) while the store,
monitor and recorder work, 503 when one of them fails. It carries no data beyond that verdict.
``/api/health/details`` (authenticated) names each component with its counters and last error.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel

from ground_station.api.context import StationContext, get_context
from ground_station.api.health_report import DECIDING, HealthDetails, HealthStatus, collect
from ground_station.api.security import require
from ground_station.auth.roles import Permission
from ground_station.auth.tokens import Principal

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: HealthStatus
    region_loaded: bool
    failing: list[str] = []
    """Which of store/monitor/recorder fail (names only; the reasons need a token)."""


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
