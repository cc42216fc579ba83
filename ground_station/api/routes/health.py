"""Liveness for load balancers and scripts; public and without any data."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ground_station.api.context import StationContext, get_context

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    region_loaded: bool


@router.get("/api/health", response_model=Health)
async def health(context: StationContext = Depends(get_context)) -> Health:
    return Health(status="ok", region_loaded=context.region is not None)
