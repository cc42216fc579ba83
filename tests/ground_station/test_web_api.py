"""The API parts the web UI needs: refresh token in an httpOnly cookie, logout, map layers, hillshade
tiles, stable refusal codes, the public UI pages, and the telemetry WebSocket's token renewal."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from shapely.geometry import shape

from geodata.zones.tiles import DETAIL_MIN_ZOOM
from ground_station.api.routes.auth import REFRESH_COOKIE
from ground_station.api.routes.vehicles import RefusalCode
from tests.ground_station.test_api_support import SHARED_DEM, Station, running_station

pytestmark = pytest.mark.timeout(120)

WEB = {"X-Borderwatch-Client": "web"}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("web")) as running:
        yield running


def web_login(station: Station, user: str = "pilot") -> dict[str, object]:
    response = station.client.post(
        "/api/auth/token", data={"username": user, "password": station.passwords[user]}, headers=WEB
    )
    assert response.status_code == 200, response.text
    return {"body": response.json(), "set_cookie": response.headers["set-cookie"]}


def test_web_login_puts_the_refresh_token_only_in_an_httponly_strict_cookie(station: Station) -> None:
    station.client.cookies.clear()
    login = web_login(station)
    body, cookie = login["body"], str(login["set_cookie"])
    assert isinstance(body, dict) and body["refresh_token"] is None and body["access_token"]
    assert cookie.startswith(f"{REFRESH_COOKIE}=")
    attributes = cookie.lower()
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/api/auth" in attributes
    assert "secure" not in attributes  # plain http on 127.0.0.1; https adds Secure
    # API clients without the header keep getting the refresh token in the body
    assert station.login("pilot")["refresh_token"]


def test_refresh_reads_the_cookie_rotates_it_and_logout_revokes_it(station: Station) -> None:
    station.client.cookies.clear()
    web_login(station)
    first = station.client.cookies.get(REFRESH_COOKIE)
    refreshed = station.client.post("/api/auth/refresh", headers=WEB)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"] and refreshed.json()["refresh_token"] is None
    second = station.client.cookies.get(REFRESH_COOKIE)
    assert second and second != first
    me = station.client.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    )
    assert me.json()["username"] == "pilot"
    out = station.client.post("/api/auth/logout", headers=WEB)
    assert out.status_code == 204
    assert (
        f"{REFRESH_COOKIE}=" in out.headers["set-cookie"] and "max-age=0" in out.headers["set-cookie"].lower()
    )
    station.client.cookies.set(REFRESH_COOKIE, second, path="/api/auth")
    again = station.client.post("/api/auth/refresh", headers=WEB)
    assert again.status_code == 401  # revoked by the logout
    station.client.cookies.clear()
    assert station.client.post("/api/auth/refresh", headers=WEB).status_code == 401


def test_map_layers_region_border_cameras_and_zone_details(station: Station) -> None:
    headers = station.headers("viewer")
    region = station.client.get("/api/map/region", headers=headers).json()
    assert region["name"] == "jesenik-nysa" and len(region["bbox"]) == 4
    assert region["terrain"]["loaded"] is SHARED_DEM.is_file()
    border = station.client.get("/api/map/border", headers=headers).json()
    kinds = {f["properties"]["kind"] for f in border["features"]}
    assert kinds == {"country", "border"}
    cameras = station.client.get("/api/map/cameras", headers=headers).json()
    assert cameras["features"], "the region ships fixed cameras"
    for feature in cameras["features"]:
        assert {"lon", "lat", "heading_deg", "hfov_deg", "max_range_m"} <= set(feature["properties"])
    zones = station.client.get(
        "/api/zones", params={"bbox": ",".join(map(str, region["bbox"]))}, headers=headers
    ).json()
    props = zones["features"][0]["properties"]
    assert {"restriction", "volumes", "approximate", "authority"} <= set(props)


def test_hillshade_tiles_need_a_token_and_come_from_the_dem(station: Station) -> None:
    path = "/api/map/hillshade/9/280/173.png"
    assert station.client.get(path).status_code == 401
    tile = station.client.get(path, headers=station.headers("viewer"))
    if not SHARED_DEM.is_file():
        assert tile.status_code == 204
        return
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    assert tile.content.startswith(b"\x89PNG")
    assert (
        station.client.get("/api/map/hillshade/3/9/1.png", headers=station.headers("viewer")).status_code
        == 404
    )


def test_zone_tiles_need_a_token_show_the_zones_and_carry_the_zone_version(station: Station) -> None:
    headers = station.headers("viewer")
    region = station.client.get("/api/map/region", headers=headers).json()
    assert region["zones"]["detail_min_zoom"] == DETAIL_MIN_ZOOM
    version = region["zones"]["tiles_version"]
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    again = station.client.get("/api/map/region", headers=headers).json()
    assert again["zones"]["tiles_version"] == version
    zones = station.client.get(
        "/api/zones", params={"bbox": ",".join(map(str, region["bbox"]))}, headers=headers
    ).json()["features"]
    inside = max((shape(f["geometry"]) for f in zones), key=lambda s: s.area).representative_point()
    z = 11
    x = int((inside.x + 180.0) / 360.0 * 2**z)
    y = int((1.0 - math.asinh(math.tan(math.radians(inside.y))) / math.pi) / 2.0 * 2**z)
    path = f"/api/map/zones/{z}/{x}/{y}.png?v={version}"
    assert station.client.get(path).status_code == 401
    tile = station.client.get(path, headers=headers)
    assert tile.status_code == 200 and tile.headers["content-type"] == "image/png"
    pixels = cv2.imdecode(np.frombuffer(tile.content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert pixels.shape == (256, 256, 4) and pixels[..., 3].any(), "the tile over a zone shows it"
    missing = station.client.get(f"/api/map/zones/3/9/1.png?v={version}", headers=headers)
    assert missing.status_code == 404


def test_command_refusals_carry_a_stable_code(station: Station) -> None:
    response = station.client.post("/api/vehicles/sim-1/arm", headers=station.headers("pilot"))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == RefusalCode.VEHICLE_NOT_CONNECTED and "no active link" in body["detail"]
    assert "reason" in body


def test_ui_pages_are_public_and_send_a_strict_csp(station: Station, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert station.client.get("/status").status_code == 200
    monkeypatch.setenv("BORDERWATCH_WEB_DIST", str(tmp_path / "missing"))
    missing = station.client.get("/")
    assert missing.status_code == 503 and "scripts/setup.sh" in missing.text
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.html").write_text("<!doctype html><title>x</title>", encoding="utf-8")
    monkeypatch.setenv("BORDERWATCH_WEB_DIST", str(tmp_path / "dist"))
    page = station.client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
