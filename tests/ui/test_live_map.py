"""The web UI in a real browser against the real service and simulator: log in per role, drones drawn
where the API says and moving, a HUD command confirmed and its refusal explained in the user's language,
an alert acknowledged, the language remembered, a dropped WebSocket survived, no command controls for a
partner viewer, and no serious accessibility violations (axe-core)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from shapely.geometry import shape

from tests.ui.conftest import AXE_JS, Demo, log_in, screenshot, wait_for_map

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

MAX_SPEED_MPS = 40.0
"""Bound for how far a drone can fly between two position stamps (demo speed factor 3 included)."""


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * 111_320 * math.cos(lat)
    dy = (a[1] - b[1]) * 110_540
    return math.hypot(dx, dy)


def api_position(demo: Demo, user: str, vehicle: str, page: Any) -> dict[str, Any]:
    """The API's newest position of a vehicle, waiting (in the page) until it has one."""
    page.wait_for_function(
        """async ([url, token]) => {
            const r = await fetch(url, {headers: {Authorization: `Bearer ${token}`}});
            return (await r.json()).position !== null;
        }""",
        arg=[f"{demo.base_url}/api/vehicles/{vehicle}", demo.token(user)],
        polling=500,
    )
    return demo.get(user, f"/api/vehicles/{vehicle}")["position"]  # type: ignore[no-any-return]


MARKER = "document.querySelector(`.vehicle-marker[data-vehicle-id='${id}']`)"
"""JS expression: the map marker of vehicle ``id``."""

MARKER_STATE = """(id) => {
    const el = MARKER;
    if (!el || !el.dataset.timeUtc) return null;
    const map = window.borderwatchMap;
    const lon = Number(el.dataset.lon), lat = Number(el.dataset.lat);
    const p = map.project([lon, lat]);
    const box = el.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
    return {lon, lat, time: el.dataset.timeUtc,
            dx: box.left + box.width / 2 - (frame.left + p.x),
            dy: box.top + box.height / 2 - (frame.top + p.y)};
}""".replace("MARKER", MARKER)


def test_pilot_sees_the_map_and_drones_drawn_where_the_api_says(demo: Demo, new_page: Any) -> None:
    page = new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.on("websocket", lambda ws: urls.append(ws.url))
    log_in(page, demo, "demo-pilot")
    assert page.locator("#terrain-notice").is_visible()  # the demo flies without a DEM
    page.locator("#connection[data-state='live']").wait_for()

    # rendered positions follow the API's: the marker catches up with a position the API reported
    reported = api_position(demo, "demo-pilot", "sim-1", page)
    page.wait_for_function(
        f"([id, t]) => {{ const el = {MARKER};"
        " return el && Date.parse(el.dataset.timeUtc) >= Date.parse(t); }",
        arg=["sim-1", reported["time_utc"]],
    )
    drawn = page.evaluate(MARKER_STATE, "sim-1")
    lag_s = page.evaluate(
        "([a, b]) => (Date.parse(a) - Date.parse(b)) / 1000", [drawn["time"], reported["time_utc"]]
    )
    gap_m = metres_between((drawn["lon"], drawn["lat"]), (reported["lon"], reported["lat"]))
    assert gap_m <= MAX_SPEED_MPS * lag_s + 5.0, (gap_m, lag_s, drawn, reported)
    assert abs(drawn["dx"]) <= 2 and abs(drawn["dy"]) <= 2, drawn  # the marker is drawn at its lon/lat

    # and the drones move on the map
    page.wait_for_function(
        f"([id, lon, lat]) => {{ const el = {MARKER};"
        " return Number(el.dataset.lon) !== lon || Number(el.dataset.lat) !== lat; }",
        arg=["sim-1", drawn["lon"], drawn["lat"]],
    )

    # each vehicle leaves a trail; each fixed camera is drawn with its footprint (a nominal sector, said
    # so, while no terrain is loaded)
    page.wait_for_function(
        "() => (window.borderwatchMap.getSource('trails').serialize().data.features || [])"
        ".some((f) => f.properties.id === 'sim-1' && f.geometry.coordinates.length > 1)"
    )
    cameras = demo.get("demo-pilot", "/api/map/cameras")["features"]
    markers = page.locator(".camera-marker")
    assert markers.count() == len(cameras) > 0
    assert all(
        "terrain unknown" in (markers.nth(i).get_attribute("aria-label") or "") for i in range(len(cameras))
    )
    assert page.evaluate(
        "window.borderwatchMap.getSource('camera-footprints').serialize().data.features.length"
    ) == len(cameras)

    # a zone tells its restriction, altitude band, authority and whether its outline is approximate
    bbox = ",".join(map(str, demo.get("demo-pilot", "/api/map/region")["bbox"]))
    zones = demo.get("demo-pilot", f"/api/zones?bbox={bbox}")["features"]
    shapes = [shape(f["geometry"]) for f in zones]
    zone, inside = next(
        (f, s.representative_point())
        for f, s in sorted(zip(zones, shapes, strict=True), key=lambda fs: -fs[1].area)
        if sum(other.contains(s.representative_point()) for other in shapes) == 1
    )
    page.evaluate("([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat]})", [inside.x, inside.y])
    wait_for_map(page)
    point = page.evaluate(
        "([lon, lat]) => { const p = window.borderwatchMap.project([lon, lat]);"
        " const r = window.borderwatchMap.getContainer().getBoundingClientRect();"
        " return {x: r.left + p.x, y: r.top + p.y}; }",
        [inside.x, inside.y],
    )
    page.mouse.click(point["x"], point["y"])
    popup = page.locator(".zone-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert zone["properties"]["restriction"].replace("_", " ") in text
    assert "Altitude band" in text and "Authority" in text
    assert ("Approximate outline" in text) is bool(zone["properties"]["approximate"])
    screenshot(page, "pilot-map")

    # a reload keeps the pilot logged in (refresh cookie), and no token ever appears in a URL
    page.reload()
    page.locator("#app").wait_for(state="visible")
    assert page.locator("#login").is_hidden()
    assert urls and not [u for u in urls if "token" in u.split("?", 1)[-1] and "?" in u], urls
    assert not [u for u in urls if u.startswith("ws") and "?" in u]
    assert not page.errors, page.errors


def test_hud_command_confirmed_and_refusal_explained_in_czech(demo: Demo, new_page: Any) -> None:
    page = new_page(locale="cs-CZ")
    log_in(page, demo, "demo-pilot")
    assert page.locator("#fleet-heading").inner_text() == "Flotila"
    page.locator(".fleet-item[data-vehicle-id='sim-1']").click()
    # flying a patrol well before its end, so disarming is refused by the autopilot
    page.wait_for_function(
        "() => { const v = window.borderwatch.vehicles.get('sim-1');"
        " return v && v.armed && v.in_air && v.mission_total > 0"
        " && v.mission_current < v.mission_total - 3; }",
        timeout=180_000,
    )
    hud = page.locator("#hud")
    assert hud.locator("dd[data-field='agl']").inner_text() == "terén neznámý"
    assert hud.locator("dd[data-field='armed']").inner_text() == "ano"

    disarm = hud.locator("button[data-command='disarm']")
    disarm.click()
    dialog = page.locator("#confirm")
    dialog.wait_for(state="visible")
    assert "sim-1" in dialog.inner_text()
    page.locator("#confirm-no").click()
    dialog.wait_for(state="hidden")
    assert page.locator("#command-result").inner_text() == ""  # cancelled: nothing was sent

    disarm.click()
    page.locator("#confirm-yes").click()
    result = page.locator("#command-result[data-outcome='refused']")
    result.wait_for()
    assert result.get_attribute("data-code") == "command_rejected"
    assert result.inner_text() == (
        "sim-1 odmítl povel „Zajistit“: autopilot povel odmítl (v tomto stavu nelze provést)"
        " — Disarming denied: not landed"  # PX4's own words, as it sends them
    )
    screenshot(page, "hud-refusal-cs")

    # go-to by keyboard: the command asks for a target, Enter takes the map centre, then confirm
    page.locator("button[data-command='goto']").click()
    page.locator("#pick-hint").wait_for(state="visible")
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible")
    centre = page.evaluate("window.borderwatchMap.getCenter().toArray()")
    assert f"{centre[1]:.5f}".replace(".", ",") in dialog.inner_text()  # Czech decimal comma
    page.locator("#confirm-yes").click()
    page.locator("#command-result[data-outcome='accepted']").wait_for()
    assert page.locator("#command-result").inner_text() == "sim-1 přijal povel „Letět na…“."
    assert not page.errors, page.errors


def test_alert_acknowledged_and_language_remembered(demo: Demo, new_page: Any) -> None:
    page = new_page()
    log_in(page, demo, "demo-pilot")
    demo.inject_link_fault("sim-2", 5.0)  # a real link loss: the monitor raises LINK_LOST for sim-2
    item = page.locator("li.alert:has(button.ack)").first
    item.wait_for()
    alert_id = item.get_attribute("data-alert-id")
    page.locator(".alert-marker").first.wait_for()  # open alerts are drawn where they happened
    page.locator(f"li.alert[data-alert-id='{alert_id}'] button.ack").click()
    page.locator(f"li.alert[data-alert-id='{alert_id}'] .acked").wait_for()
    stored = {a["alert_id"]: a for a in demo.get("demo-pilot", "/api/alerts")}
    assert stored[alert_id]["acknowledged_by"] == "demo-pilot"
    time_el = page.locator(f"li.alert[data-alert-id='{alert_id}'] time")
    assert time_el.get_attribute("title").endswith("UTC")  # local time shown, UTC on hover

    page.locator("#app-lang").select_option("pl")
    assert page.locator("#fleet-heading").inner_text() == "Flota"
    assert page.locator("#alerts-heading").inner_text() == "Alarmy"
    assert page.evaluate("document.documentElement.lang") == "pl"
    page.reload()
    page.locator("#app").wait_for(state="visible")
    assert page.locator("#fleet-heading").inner_text() == "Flota"
    screenshot(page, "alerts-pl")
    page.locator("#app-lang").select_option("en")


def test_token_renewed_on_the_open_socket_and_map_survives_a_dropped_one(demo: Demo, new_page: Any) -> None:
    page = new_page()
    log_in(page, demo, "demo-pilot")
    page.wait_for_function("() => window.borderwatch.telemetry?.connects === 1")

    # the server's "token_expiring" (its timer is tested in test_web_api): the page refreshes its access
    # token with the cookie and renews it on the same socket, which answers auth_ok; no reconnect
    cookie_before = next(c["value"] for c in page.context.cookies() if c["name"] == "bw_refresh")
    page.evaluate(
        "() => window.borderwatch.telemetry.socket.onmessage("
        "{data: JSON.stringify({type: 'token_expiring'})})"
    )
    page.wait_for_function("() => window.borderwatch.telemetry.renewals === 1")
    assert page.evaluate("window.borderwatch.telemetry.connects") == 1
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["bw_refresh"]["value"] != cookie_before  # rotated
    assert cookies["bw_refresh"]["httpOnly"] and cookies["bw_refresh"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # the page's scripts cannot read it

    page.locator(".vehicle-marker[data-vehicle-id='sim-2']").wait_for()
    page.evaluate("window.borderwatch.telemetry.drop()")
    page.wait_for_function("() => window.borderwatch.telemetry.connects === 2")
    page.locator("#connection[data-state='live']").wait_for()
    before = page.evaluate(MARKER_STATE, "sim-2")["time"]
    page.wait_for_function(
        f"([id, t]) => Date.parse({MARKER}.dataset.timeUtc) > Date.parse(t)",
        arg=["sim-2", before],
    )
    assert not page.errors, page.errors


def test_partner_viewer_sees_everything_but_commands_nothing(demo: Demo, new_page: Any) -> None:
    page = new_page()
    log_in(page, demo, "demo-partner")
    page.locator(".vehicle-marker[data-vehicle-id='sim-1']").wait_for()
    page.locator(".fleet-item[data-vehicle-id='sim-1']").click()
    page.locator("#hud dd[data-field='mode']").wait_for()
    assert page.locator("button[data-command]").count() == 0
    assert page.locator("#commands").is_hidden()
    assert page.locator("button.ack").count() == 0
    assert "partner" in page.locator("#user").inner_text()
    screenshot(page, "partner-viewer")

    # signing out revokes the refresh cookie: a reload shows the login form again
    page.locator("#logout").click()
    page.locator("#login").wait_for(state="visible")
    assert not [c for c in page.context.cookies() if c["name"] == "bw_refresh"]
    page.reload()
    page.locator("#login").wait_for(state="visible")
    assert page.locator("#app").is_hidden()


def serious_violations(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_no_serious_accessibility_violations(demo: Demo, new_page: Any) -> None:
    page = new_page()
    page.goto(demo.base_url + "/")
    page.locator("#login").wait_for(state="visible")
    assert serious_violations(page) == [], "login page"
    screenshot(page, "login")
    log_in(page, demo, "demo-pilot")
    page.locator(".fleet-item[data-vehicle-id='sim-1']").click()
    page.locator("button[data-command='rtl']").wait_for()
    found = serious_violations(page)
    assert found == [], json.dumps(found, indent=1)
    page.locator("button[data-command='land']").click()
    page.locator("#confirm").wait_for(state="visible")
    found = serious_violations(page)
    page.locator("#confirm-no").click()
    assert found == [], json.dumps(found, indent=1)
