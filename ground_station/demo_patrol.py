"""Demo drones that fly: each simulated vehicle patrols an IAMSAR expanding square around its home.

A demo whose drones sit on the ground shows nothing on a map. The patrol drives the service through
its public REST API with the demo commander's login, exactly as a person at the ground station would
(create mission, validate-and-upload, arm, start, wait for landing, repeat), so it exercises the real
path and never reaches into the service's internals. Over the simulator's flat world without a DEM
validation reports "terrain unknown"; the commander then uploads with an audited override, which is
what the banner tells a person to do by hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from missions.model import AltFrame, GroundPoint, HomePosition
from missions.patterns import Altitude, build_mission, expanding_square

log = logging.getLogger(__name__)

OVERRIDE_REASON = "demo patrol over the simulator's world without a terrain model"
PATROL_SPACING_M = 60.0
PATROL_LEGS = 8
PATROL_ALT_REL_M = 40.0
PAUSE_BETWEEN_PATROLS_S = 15.0
RETRY_AFTER_ERROR_S = 5.0  # e.g. arming refused while the vehicle still boots


@dataclass(frozen=True)
class PatrolVehicle:
    slug: str
    lon: float
    lat: float
    alt_amsl_m: float | None


@dataclass(frozen=True)
class PatrolLogin:
    base_url: str
    username: str
    password: str


class PatrolError(Exception):
    """One API step of a patrol failed; the patrol waits and tries again."""


async def patrol_forever(
    login: PatrolLogin, vehicles: Sequence[PatrolVehicle], say: Callable[[str], None] = print
) -> None:
    """Runs one patrol loop per vehicle until cancelled."""
    async with httpx.AsyncClient(base_url=login.base_url, timeout=30.0) as client:
        await asyncio.gather(*(_patrol_loop(client, login, v, say) for v in vehicles))


async def _patrol_loop(
    client: httpx.AsyncClient, login: PatrolLogin, vehicle: PatrolVehicle, say: Callable[[str], None]
) -> None:
    mission_id: str | None = None
    while True:
        try:
            headers = await _login(client, login)
            if mission_id is None:
                mission_id = await _create_patrol_mission(client, headers, vehicle)
            await _wait_until(client, headers, vehicle.slug, _ready_on_ground)
            overridden = await _upload(client, headers, vehicle.slug, mission_id)
            await _command(client, headers, vehicle.slug, "arm")
            await _command(client, headers, vehicle.slug, "mission/start")
            note = " (override: terrain unknown)" if overridden else ""
            say(f"demo patrol: {vehicle.slug} flies an expanding square around its home{note}")
            await _wait_until(client, headers, vehicle.slug, lambda s: bool(s.get("armed")))
            headers = await _login(client, login)
            await _wait_until(client, headers, vehicle.slug, _ready_on_ground, timeout_s=3600.0)
        except (PatrolError, httpx.HTTPError) as exc:
            log.warning("demo patrol of %s: %s; retrying", vehicle.slug, exc)
            await asyncio.sleep(RETRY_AFTER_ERROR_S)
            continue
        await asyncio.sleep(PAUSE_BETWEEN_PATROLS_S)


def _ready_on_ground(state: dict[str, object]) -> bool:
    return bool(state.get("link_connected")) and not state.get("armed") and not state.get("in_air")


async def _login(client: httpx.AsyncClient, login: PatrolLogin) -> dict[str, str]:
    response = await client.post(
        "/api/auth/token", data={"username": login.username, "password": login.password}
    )
    _expect(response, "log in")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _create_patrol_mission(
    client: httpx.AsyncClient, headers: dict[str, str], vehicle: PatrolVehicle
) -> str:
    home = HomePosition(lon=vehicle.lon, lat=vehicle.lat, alt_amsl_m=vehicle.alt_amsl_m)
    pattern = expanding_square(
        GroundPoint(lon=vehicle.lon, lat=vehicle.lat),
        PATROL_SPACING_M,
        Altitude(PATROL_ALT_REL_M, AltFrame.REL_HOME),
        legs=PATROL_LEGS,
    )
    mission = build_mission(
        pattern, home, takeoff_alt_rel_m=PATROL_ALT_REL_M, name=f"demo patrol {vehicle.slug}"
    )
    response = await client.post("/api/missions", json=mission.model_dump(mode="json"), headers=headers)
    _expect(response, "create the patrol mission")
    return str(response.json()["mission_id"])


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], slug: str, mission_id: str) -> bool:
    """Uploads the mission; with an audited override only when validation refuses it. True if overridden."""
    url = f"/api/vehicles/{slug}/mission"
    response = await client.post(url, json={"mission_id": mission_id}, headers=headers)
    if response.status_code == httpx.codes.CONFLICT:
        body = {"mission_id": mission_id, "override_reason": OVERRIDE_REASON}
        response = await client.post(url, json=body, headers=headers)
        _expect(response, "upload the patrol with an override")
        return True
    _expect(response, "upload the patrol")
    return False


async def _command(client: httpx.AsyncClient, headers: dict[str, str], slug: str, command: str) -> None:
    response = await client.post(f"/api/vehicles/{slug}/{command}", json={}, headers=headers)
    _expect(response, command)


async def _wait_until(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    slug: str,
    condition: Callable[[dict[str, object]], bool],
    *,
    timeout_s: float = 120.0,
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        response = await client.get(f"/api/vehicles/{slug}", headers=headers)
        if response.status_code == httpx.codes.UNAUTHORIZED:
            raise PatrolError("token expired while waiting")
        _expect(response, "read the vehicle state")
        if condition(response.json()):
            return
        await asyncio.sleep(2.0)
    raise PatrolError(f"{slug} did not reach the expected state within {timeout_s:.0f} s")


def _expect(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    raise PatrolError(f"could not {what}: HTTP {response.status_code} {response.text[:300]}")
