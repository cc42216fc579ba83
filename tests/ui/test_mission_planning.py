"""Mission planning in a real browser against the real service and simulator, over a DEM the test writes
itself (flat, 400 m AMSL, ±5 m) so that a legal plan exists: a waypoint drawn into a prohibited zone is
drawn and explained as a violation (in the user's language), deleting it and drawing a legal one turns
the verdict legal, the altitude profile shows the 120 m AGL ceiling, the plan uploads, starts and its
progress is followed; a .plan imported through the page exports unchanged; every control of the planner
is labelled (axe-core); the commander replays the finished flight with a time slider and reads the
audit trail."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import Point, shape

from tests.conftest import REPO
from tests.missions.test_qgc_conformance import qgc_view
from tests.synthetic_dem import write_lonlat_dem
from tests.ui.conftest import AXE_JS, Demo, log_in, run_demo, screenshot, wait_for_map

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

GROUND_AMSL_M = 400.0
PLAN = REPO / "tests" / "missions" / "plans" / "jesenik_waypoints.plan"
VERDICT = "document.querySelector('#plan-verdict').dataset.verdict"


@pytest.fixture(scope="module")
def demo_dem(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Demo]:
    """One simulated drone that sits on the ground (no patrol) over a flat DEM covering the region."""
    work = tmp_path_factory.mktemp("ui-plan")
    dem = write_lonlat_dem(
        work / "flat.tif",
        lambda lon, lat: 0.0 * lon + GROUND_AMSL_M,
        west=16.7,
        north=50.8,
        step=0.01,
        cols=120,
        rows=90,
        accuracy_m=5.0,
    )
    with run_demo(work, vehicles=1, env={"BORDERWATCH_DEM": str(dem)}, extra=["--no-patrol"]) as running:
        yield running


def click_at(page: Any, lon: float, lat: float) -> None:
    """A real mouse click on the map where (lon, lat) is drawn."""
    point = page.evaluate(
        "([lon, lat]) => { const p = window.borderwatchMap.project([lon, lat]);"
        " const r = window.borderwatchMap.getContainer().getBoundingClientRect();"
        " return {x: r.left + p.x, y: r.top + p.y}; }",
        [lon, lat],
    )
    page.mouse.click(point["x"], point["y"])


def offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return (
        lon + east_m / (111_320 * math.cos(math.radians(lat))),
        lat + north_m / 110_540,
    )


def home_of(demo: Demo, page: Any) -> tuple[float, float]:
    page.wait_for_function(
        """async ([url, token]) => {
            const r = await fetch(url, {headers: {Authorization: `Bearer ${token}`}});
            const body = await r.json();
            return body.position !== null && body.link_connected;
        }""",
        arg=[f"{demo.base_url}/api/vehicles/sim-1", demo.token("demo-pilot")],
        polling=500,
    )
    position = demo.get("demo-pilot", "/api/vehicles/sim-1")["position"]
    return position["lon"], position["lat"]


def prohibited_point_near(demo: Demo, lon: float, lat: float) -> tuple[float, float]:
    """A point inside the prohibited zone nearest to (lon, lat) and in no other zone's outline."""
    bbox = f"{lon - 0.05},{lat - 0.05},{lon + 0.05},{lat + 0.05}"
    zones = demo.get("demo-pilot", f"/api/zones?bbox={bbox}")["features"]
    prohibited = [shape(z["geometry"]) for z in zones if z["properties"]["restriction"] == "PROHIBITED"]
    assert prohibited, "the region has a prohibited zone near the demo drone's home"
    nearest = min(prohibited, key=lambda s: s.distance(Point(lon, lat)))
    inside = nearest.representative_point()
    return inside.x, inside.y


def test_plan_crossing_a_prohibited_zone_is_drawn_explained_fixed_uploaded_and_flown(
    demo_dem: Demo, new_page: Any
) -> None:
    demo = demo_dem
    page = new_page()
    log_in(page, demo, "demo-pilot")
    assert page.locator("body[data-terrain='loaded']").count() == 1
    lon, lat = home_of(demo, page)
    bad = prohibited_point_near(demo, lon, lat)
    # the legal waypoint lies on the far side of home from the prohibited zone, 250 m out
    dx, dy = lon - bad[0], lat - bad[1]
    scale = 250 / math.hypot(dx * 111_320 * math.cos(math.radians(lat)), dy * 110_540)
    good = (lon + dx * scale, lat + dy * scale)
    page.evaluate("([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat], zoom: 14})", [lon, lat])
    wait_for_map(page)

    # a new mission starts at the selected drone with a take-off; clicking the map adds a waypoint
    page.get_by_role("button", name="New mission").click()
    assert page.locator("#plan-add").get_attribute("aria-pressed") == "true"
    click_at(page, *bad)
    page.locator(".plan-marker[data-plan-index='1']").wait_for()
    page.wait_for_function(f"{VERDICT} === 'illegal'")
    verdict = page.locator("#plan-verdict")
    assert verdict.is_visible() and "NOT LEGAL" in verdict.inner_text()

    # the violation is explained in words and drawn on the map where it happens: the leg to item 2
    zone_error = page.locator(".plan-violation[data-rule='zones'][data-severity='ERROR']").first
    zone_error.wait_for()
    result = page.evaluate("window.borderwatchPlanner.result")
    error = next(v for v in result["violations"] if v["rule_id"] == "zones" and v["severity"] == "ERROR")
    assert error["messages"]["en"] in zone_error.inner_text()
    drawn = page.evaluate("window.borderwatchMap.getSource('plan-violations').serialize().data.features")
    legs = [f for f in drawn if f["geometry"]["type"] == "LineString" and f["properties"]["rule"] == "zones"]
    assert legs, drawn
    end = legs[0]["geometry"]["coordinates"][-1]
    assert math.isclose(end[0], bad[0], abs_tol=1e-4) and math.isclose(end[1], bad[1], abs_tol=1e-4)
    page.wait_for_function(  # rendered: the red leg is on the map under the zone
        "() => window.borderwatchMap.queryRenderedFeatures({layers: ['plan-violations-line']}).length > 0"
    )
    page.locator("#plan-coverage summary").click()
    assert "Leg to item 2" in page.locator("#plan-coverage-body").inner_text()
    assert page.locator("#plan-upload").is_disabled()  # no upload while not legal
    screenshot(page, "plan-violation")

    # in Czech the same violation is explained in Czech; back to English
    page.locator("#app-lang").select_option("cs")
    page.wait_for_function(
        "(text) => [...document.querySelectorAll('.plan-violation-text')]"
        ".some((p) => p.textContent === text)",
        arg=error["messages"]["cs"],
    )
    assert "NEPOVOLENO" in verdict.inner_text()
    screenshot(page, "plan-violation-cs")
    page.locator("#app-lang").select_option("en")

    # fixed: the bad waypoint deleted, a legal one drawn; the verdict turns legal
    page.get_by_role("button", name="Delete item 2").click()
    click_at(page, *good)
    page.locator(".plan-marker[data-plan-index='1']").wait_for()
    page.wait_for_function(f"{VERDICT} === 'legal'")
    assert page.locator(".plan-violation[data-severity='ERROR']").count() == 0
    drawn = page.evaluate("window.borderwatchMap.getSource('plan-violations').serialize().data.features")
    assert not [f for f in drawn if f["properties"]["severity"] == "ERROR"], drawn

    # moved with the keyboard: the check runs again and stays legal
    before = page.evaluate("window.borderwatchPlanner.draft.items[1].lat")
    page.locator(".plan-marker[data-plan-index='1']").focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_function(
        f"(lat) => window.borderwatchPlanner.draft.items[1].lat > lat && {VERDICT} === 'legal'", arg=before
    )
    page.keyboard.press("Escape")  # stop adding waypoints
    # the altitude profile over terrain: 50 m above the flat ground, under the 120 m AGL ceiling
    profile = "document.querySelector('#plan-profile').dataset"
    page.wait_for_function(
        f"Math.abs(Number({profile}.maxAgl) - 50) < 1 && {profile}.aboveCeiling === 'false'"
    )
    screenshot(page, "plan-legal")

    # raised to 150 m above ground: above the ceiling in the profile and an error from the service
    altitude = page.get_by_label("Altitude of item 2 (m)")
    altitude.fill("150")
    altitude.blur()
    page.wait_for_function(f"{VERDICT} === 'illegal' && {profile}.aboveCeiling === 'true'")
    page.locator(".plan-violation[data-rule='height_ceiling'][data-severity='ERROR']").first.wait_for()
    assert "ABOVE THE CEILING" in (page.locator("#plan-profile").get_attribute("aria-label") or "")
    screenshot(page, "plan-ceiling")
    altitude.fill("50")
    altitude.blur()
    page.wait_for_function(f"{VERDICT} === 'legal' && {profile}.aboveCeiling === 'false'")

    # upload (only now enabled), start, and the progress follows the vehicle's mission
    upload = page.locator("#plan-upload")
    assert upload.is_enabled()
    upload.click()
    page.locator("#plan-status[data-key='plan.uploaded']").wait_for()
    page.locator("#plan-start").click()
    page.locator("#plan-status[data-key='plan.started']").wait_for()
    page.wait_for_function(
        "() => Number(document.querySelector('#plan-progress').dataset.current || 0) >= 1", timeout=120_000
    )
    assert "sim-1: item" in page.locator("#plan-progress").inner_text()
    screenshot(page, "plan-flying")

    # the service saved the version that flew, and audited the draft checks
    missions = demo.get("demo-pilot", "/api/missions")
    assert any(m["latest_version"] >= 1 for m in missions)
    assert not page.errors, page.errors


def export_through_page(page: Any, path: Path) -> Path:
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export .plan").click()
    download_info.value.save_as(path)
    return path


def test_plan_imported_through_the_page_exports_unchanged(
    demo_dem: Demo, new_page: Any, tmp_path: Path
) -> None:
    page = new_page()
    log_in(page, demo_dem, "demo-pilot")
    page.locator("#plan-import").set_input_files(str(PLAN))
    page.locator("#plan-status[data-key='plan.imported']").wait_for()
    page.wait_for_function(f"['legal', 'illegal'].includes({VERDICT})")
    original = json.loads(PLAN.read_text())
    assert page.locator(".plan-marker").count() > 0  # its items drawn on the map
    exported = export_through_page(page, tmp_path / "exported.plan")
    # every field QGroundControl reads is unchanged (borderwatch adds only its own top-level block) ...
    assert qgc_view(json.loads(exported.read_text())) == qgc_view(original)
    # ... and a second round through the page gives the same file, byte for byte
    first = page.evaluate("window.borderwatchPlanner.missionId")
    page.locator("#plan-import").set_input_files(str(exported))
    page.wait_for_function("(id) => window.borderwatchPlanner.missionId !== id", arg=first)
    again = export_through_page(page, tmp_path / "again.plan")
    assert again.read_bytes() == exported.read_bytes()
    screenshot(page, "plan-imported")

    # every planner control is labelled and keyboard reachable (axe-core, serious and critical)
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async () => (await axe.run(document.querySelector('#plan'), {resultTypes: ['violations']}))"
        ".violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => v.id)"
    )
    assert found == [], found
    assert not page.errors, page.errors


def test_sar_pattern_from_the_service_is_added_at_the_map_centre_and_validated(
    demo_dem: Demo, new_page: Any
) -> None:
    page = new_page()
    log_in(page, demo_dem, "demo-pilot")
    lon, lat = home_of(demo_dem, page)
    centre = offset(lon, lat, 0.0, -300.0)
    page.evaluate(
        "([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat], zoom: 15})", list(centre)
    )
    wait_for_map(page)
    page.get_by_role("button", name="New mission").click()
    page.keyboard.press("Escape")
    page.get_by_label("SAR pattern").select_option("sector_search")
    page.get_by_label("Track spacing or radius (m)").fill("80")
    page.get_by_role("button", name="Add pattern at the map centre").click()
    page.locator("#plan-status[data-key='plan.patternAdded']").wait_for()
    page.wait_for_function(f"['legal', 'illegal'].includes({VERDICT})")
    items = page.evaluate("window.borderwatchPlanner.draft.items")
    pattern = [i for i in items if i["kind"] == "waypoint"]
    assert len(pattern) == 10  # IAMSAR sector search: datum + three triangles
    assert math.isclose(pattern[0]["lon"], centre[0], abs_tol=1e-5)
    assert math.isclose(pattern[0]["lat"], centre[1], abs_tol=1e-5)
    assert items[-1]["kind"] == "rtl"
    assert page.locator(".plan-marker").count() == len(pattern) + 1
    screenshot(page, "plan-sar-pattern")
    assert not page.errors, page.errors


def test_commander_replays_the_finished_flight_with_the_time_slider_and_reads_the_audit_trail(
    demo_dem: Demo, new_page: Any
) -> None:
    """After the planning test flew its mission, the flight ends on landing; the commander replays it."""
    page = new_page()
    log_in(page, demo_dem, "demo-commander")
    # the list follows the store: the flight appears as finished once the drone has landed
    finished = page.locator(".flight-item[data-ended='true']").first
    finished.wait_for(timeout=300_000)
    flight_id = finished.get_attribute("data-flight-id")
    flight = demo_dem.get("demo-commander", f"/api/flights/{flight_id}")
    assert flight["ended_at"] is not None
    track = demo_dem.get("demo-commander", f"/api/flights/{flight['id']}/track")["features"][0]
    coords = track["geometry"]["coordinates"]
    assert len(coords) > 2
    finished.click()
    page.locator(f"#replay[data-flight-id='{flight['id']}']").wait_for()

    # the whole track is on the map; the slider moves the replayed drone from the first to the last point
    drawn = page.evaluate("window.borderwatchMap.getSource('replay-track').serialize().data.features")
    assert drawn[0]["geometry"]["coordinates"] == coords
    marker = page.locator(".replay-marker")
    slider = page.get_by_label("Replay time")
    slider.focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "(lon) => Number(document.querySelector('.replay-marker').dataset.lon) === lon", arg=coords[-1][0]
    )
    assert float(marker.get_attribute("data-lat") or 0) == pytest.approx(coords[-1][1])
    assert f"point {len(coords)} of {len(coords)}" in page.locator("#replay-at").inner_text()
    page.keyboard.press("Home")
    page.wait_for_function(
        "(lon) => Number(document.querySelector('.replay-marker').dataset.lon) === lon", arg=coords[0][0]
    )
    # halfway through the flight's time the drone is between two recorded points of that moment
    half = (int(page.evaluate("document.querySelector('#replay-slider').max")) // 200) * 100
    slider.fill(str(half))
    shown_ms = float(
        page.wait_for_function(
            "(t) => { const el = document.querySelector('.replay-marker');"
            " return Number(el.dataset.timeMs) > t && el.dataset.timeMs; }",
            arg=page.evaluate("window.borderwatchReplay.track.times[0]"),
        ).json_value()
    )
    times = page.evaluate("window.borderwatchReplay.track.times")
    assert times[0] < shown_ms <= times[-1]
    screenshot(page, "replay")

    # the commander may upload a plan that does not validate, with a reason that goes to the audit log
    lon, lat = home_of(demo_dem, page)
    bad = prohibited_point_near(demo_dem, lon, lat)
    page.evaluate("([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat], zoom: 14})", [lon, lat])
    wait_for_map(page)
    page.get_by_role("button", name="New mission").click()
    click_at(page, *bad)
    page.wait_for_function(f"{VERDICT} === 'illegal'")
    page.keyboard.press("Escape")
    assert page.locator("#plan-upload").is_disabled()
    override = page.get_by_role("button", name="Upload despite errors (override)")
    assert override.is_disabled()  # not without a reason
    page.get_by_label("Override reason (commander, audited)").fill(
        "UI test: search over the heliport agreed by phone"
    )
    override.click()
    page.locator("#plan-status[data-key='plan.uploaded']").wait_for()
    screenshot(page, "plan-override")

    # the audit trail shows the planner's draft checks and the commands (upload, arm, start)
    page.get_by_role("button", name="Refresh audit trail").click()
    page.locator("#audit-list li[data-action='vehicle_command']").first.wait_for()
    assert page.locator("#audit-list li[data-action='mission_validated']").count() > 0
    assert page.locator("#audit-list li[data-action='validation_override']").count() == 1
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async () => (await axe.run({include: [['#flights'], ['#audit'], ['#plan']]},"
        " {resultTypes: ['violations']})).violations"
        ".filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => v.id)"
    )
    assert found == [], found
    assert not page.errors, page.errors
