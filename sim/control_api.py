"""The simulator's control API: a small HTTP/JSON server on 127.0.0.1 (FastAPI served by uvicorn in
the simulator's own event loop) for faults, wind and a look at the world."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from sim.faults import FaultController, FaultKind
from sim.wind import WindSettings
from sim.world import World


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FaultRequest(_Body):
    kind: FaultKind
    seconds: float | None = Field(default=None, gt=0, le=86400)
    wind_speed_mps: float | None = Field(default=None, ge=0, le=60)
    wind_from_deg: float | None = Field(default=None, ge=0, lt=360)
    gust_sigma_mps: float | None = Field(default=None, ge=0, le=30)


class WindBody(_Body):
    speed_mps: float = Field(ge=0, le=60)
    from_deg: float = Field(ge=0, lt=360)
    gust_sigma_mps: float = Field(default=0.0, ge=0, le=30)
    gust_tau_s: float = Field(default=3.0, gt=0, le=600)


class VehicleState(BaseModel):
    slug: str
    system_id: int
    mode: str
    armed: bool
    landed_state: str
    crashed: bool
    lon: float
    lat: float
    alt_amsl_m: float
    alt_rel_m: float
    battery_remaining: float
    faults: list[FaultKind]


def create_control_app(world: World, faults: FaultController) -> FastAPI:
    app = FastAPI(title="borderwatch simulator control", version="1")

    def _vehicle(slug: str) -> None:
        if slug not in world.vehicles:
            raise HTTPException(404, f"no vehicle {slug!r}; known: {', '.join(world.vehicles) or 'none'}")

    @app.get("/health")
    async def health() -> dict[str, float | str]:
        return {
            "status": "ok",
            "sim_time_s": world.clock.sim_time_s,
            "speed": world.clock.speed,
            "real_time_factor": world.clock.real_time_factor(),
        }

    @app.get("/vehicles")
    async def vehicles() -> list[VehicleState]:
        out = []
        for slug, v in world.vehicles.items():
            flight = v.flight
            out.append(
                VehicleState(
                    slug=slug,
                    system_id=v.config.system_id,
                    mode=flight.mode.name,
                    armed=flight.armed,
                    landed_state=flight.landed_state.name,
                    crashed=flight.crashed,
                    lon=v.lon,
                    lat=v.lat,
                    alt_amsl_m=flight.body.alt_amsl_m,
                    alt_rel_m=flight.alt_rel_m,
                    battery_remaining=v.battery.remaining,
                    faults=faults.active_for(slug),
                )
            )
        return out

    @app.post("/vehicles/{slug}/faults")
    async def inject(slug: str, request: FaultRequest) -> dict[str, object]:
        _vehicle(slug)
        wind = None
        if request.kind == FaultKind.WIND and request.wind_speed_mps is not None:
            wind = WindSettings(
                speed_mps=request.wind_speed_mps,
                from_deg=request.wind_from_deg or 0.0,
                gust_sigma_mps=request.gust_sigma_mps or 0.0,
            )
        faults.apply(slug, request.kind, request.seconds, wind)
        return {"vehicle": slug, "kind": request.kind.value, "seconds": request.seconds}

    @app.delete("/vehicles/{slug}/faults/{kind}")
    async def clear(slug: str, kind: FaultKind) -> dict[str, str]:
        _vehicle(slug)
        faults.clear(slug, kind)
        return {"vehicle": slug, "cleared": kind.value}

    @app.get("/wind")
    async def get_wind() -> WindBody:
        s = world.wind.settings
        return WindBody(speed_mps=s.speed_mps, from_deg=s.from_deg % 360.0, gust_sigma_mps=s.gust_sigma_mps,
                        gust_tau_s=s.gust_tau_s)  # fmt: skip

    @app.put("/wind")
    async def put_wind(body: WindBody) -> WindBody:
        world.wind.settings = WindSettings(
            body.speed_mps, body.from_deg, body.gust_sigma_mps, body.gust_tau_s
        )
        return body

    @app.get("/ground-objects")
    async def ground_objects() -> list[dict[str, object]]:
        return [
            {"id": o.id, "kind": o.kind.value, "lon": o.lon, "lat": o.lat, "heading_deg": o.heading_deg,
             "speed_mps": o.speed_mps}
            for o in world.ground_objects()
        ]  # fmt: skip

    return app


class ControlServer:
    """uvicorn on a socket we bind ourselves, so port 0 works and the URL is known before serving."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        # The simulator runner owns SIGINT/SIGTERM; uvicorn must not swallow and re-raise them.
        self._server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, 5)
        self._sock.close()
