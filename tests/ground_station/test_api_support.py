"""Shared helpers for the API tests: a real app (SQLite, bus, region) with one user per role.

Imported by ``test_api*.py`` and ``test_route_coverage*.py``; holds no tests itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ground_station.app import LinksFactory, create_app, no_links
from ground_station.auth.clock import Clock
from ground_station.auth.roles import Role
from ground_station.auth.users import create_user, generate_password
from ground_station.config import StationSettings, VehicleConfig, load_settings
from ground_station.store.models import Organisation
from tests.conftest import shared_data_dir

HOME_ORG = Organisation("hzs-olk", "HZS Olomouckého kraje", "CZ")
OTHER_ORG = Organisation("kmp-nysa", "KMP Nysa", "PL")

USERS: dict[str, tuple[Role, Organisation]] = {
    "admin": (Role.ADMIN, HOME_ORG),
    "commander": (Role.COMMANDER, HOME_ORG),
    "pilot": (Role.PILOT, HOME_ORG),
    "viewer": (Role.PARTNER_VIEWER, OTHER_ORG),
    "foreign_pilot": (Role.PILOT, OTHER_ORG),
}


SHARED_DEM = shared_data_dir() / "dem" / "region_dem_srtm30plus_1500m.tif"


@cache
def shared_region() -> Any:
    """The shipped region with the shared SRTM30_PLUS DEM when present, loaded once per session."""
    from geodata.atlas import load_region

    return load_region("jesenik-nysa", dem_paths=[SHARED_DEM] if SHARED_DEM.is_file() else None)


def require_dem() -> None:
    if not SHARED_DEM.is_file():
        pytest.skip(f"needs the shared DEM {SHARED_DEM}: without terrain every AGL rule is an error")


def station_settings(tmp_path: Path, vehicles: list[VehicleConfig] | None = None) -> StationSettings:
    return load_settings(
        data_dir=tmp_path,
        organisation={"slug": HOME_ORG.slug, "name": HOME_ORG.name, "country": HOME_ORG.country},
        vehicles=vehicles
        if vehicles is not None
        else [
            VehicleConfig(slug="sim-1", mavlink_url="udpin://127.0.0.1:14540"),
            VehicleConfig(slug="pl-1", mavlink_url="udpin://127.0.0.1:14541", organisation=OTHER_ORG.slug),
        ],
    )


@dataclass
class Station:
    client: TestClient
    passwords: dict[str, str]
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def login(self, user: str) -> dict[str, Any]:
        response = self.client.post(
            "/api/auth/token", data={"username": user, "password": self.passwords[user]}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.tokens[user] = body["access_token"]
        return body

    @property
    def context(self) -> Any:
        return self.client.app.state.context  # type: ignore[attr-defined]


@contextmanager
def running_station(
    tmp_path: Path,
    *,
    links_factory: LinksFactory = no_links,
    with_region: bool = True,
    settings: StationSettings | None = None,
    clock: Clock | None = None,
    client_address: tuple[str, int] = ("testclient", 50000),
) -> Iterator[Station]:
    app = create_app(
        settings or station_settings(tmp_path),
        links_factory=links_factory,
        region_loader=None,
        region=shared_region() if with_region else None,
        clock=clock,
    )
    with TestClient(app, client=client_address) as client:
        store = app.state.context.store
        passwords: dict[str, str] = {}
        for username, (role, org) in USERS.items():
            passwords[username] = generate_password()
            client.portal.call(
                create_user, store.users, store.organisations, username, passwords[username], role, org
            )
        station = Station(client, passwords)
        for username in USERS:
            station.login(username)
        yield station


VALID_SPOT = (17.10, 50.33)
"""North-west of Jeseník, in CZ, clear of every zone of the region; 60 m above home stays legal."""


def simple_mission(
    name: str = "search north of Jeseník", alt_rel_m: float = 60.0, spot: tuple[float, float] = VALID_SPOT
) -> dict[str, Any]:
    lon, lat = spot
    terrain = shared_region().terrain
    ground = float(terrain.elevation_amsl_m([lon], [lat])[0])
    home: dict[str, Any] = {"lon": lon, "lat": lat, "alt_amsl_m": ground if ground == ground else None}
    return {
        "name": name,
        "home": home,
        "items": [
            {"kind": "takeoff", "lon": lon, "lat": lat, "alt_m": alt_rel_m, "alt_frame": "REL_HOME"},
            {
                "kind": "waypoint",
                "lon": lon + 0.002,
                "lat": lat + 0.001,
                "alt_m": alt_rel_m,
                "alt_frame": "REL_HOME",
            },
            {"kind": "waypoint", "lon": lon + 0.004, "lat": lat, "alt_m": alt_rel_m, "alt_frame": "REL_HOME"},
            {"kind": "rtl"},
        ],
    }


HELIPORT = (17.1935, 50.23)
"""Inside the PROHIBITED Jeseník hospital heliport zone (0-150 m AGL)."""
