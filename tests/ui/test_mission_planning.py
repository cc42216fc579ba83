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


VIOLATIONS_DRAWN = (
    "window.borderwatchMap.getSource('plan').serialize().data.features"
    ".filter((f) => f.properties.part === 'violation')"
)


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
    drawn = page.evaluate(VIOLATIONS_DRAWN)
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
    drawn = page.evaluate(VIOLATIONS_DRAWN)
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
    # Start asks first: the pilot sees the mission, its size, verdict and vehicle; Cancel sends nothing
    page.locator("#plan-start").click()
    dialog = page.get_by_role("dialog", name="Start this mission?")
    dialog.wait_for()
    draft = page.evaluate("window.borderwatchPlanner.draft")
    facts = dialog.locator("#mission-confirm-facts")
    assert facts.locator("dd[data-field='name']").inner_text() == draft["name"]
    assert facts.locator("dd[data-field='items']").inner_text() == str(len(draft["items"]))
    assert "LEGAL" in facts.locator("dd[data-field='verdict']").inner_text()
    assert facts.locator("dd[data-field='vehicle']").inner_text() == "sim-1"
    assert page.evaluate("document.activeElement.id") == "mission-confirm-no"  # the safe choice first
    screenshot(page, "plan-confirm-start")
    dialog.get_by_role("button", name="Cancel").click()
    page.locator("#plan-status[data-key='plan.startCancelled']").wait_for()
    assert not dialog.is_visible()
    assert demo.get("demo-pilot", "/api/vehicles/sim-1")["armed"] is False
    page.locator("#plan-start").click()
    dialog.get_by_role("button", name="Start mission").click()
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
    # the override is confirmed in a dialog that says the mission is not legal and repeats the reason
    dialog = page.get_by_role("dialog", name="Upload this mission despite its errors?")
    dialog.wait_for()
    assert "NOT LEGAL" in dialog.inner_text()
    assert "agreed by phone" in dialog.locator("dd[data-field='reason']").inner_text()
    assert dialog.locator("dd[data-field='vehicle']").inner_text() == "sim-1"
    dialog.get_by_role("button", name="Upload with override").click()
    page.locator("#plan-status[data-key='plan.uploaded']").wait_for()
    screenshot(page, "plan-override")

    # the audit trail shows the commander's override; the planner's draft checks (one per edit) on request
    page.get_by_role("button", name="Refresh audit trail").click()
    # wait for what only the refreshed list can hold (the list shown at login already had commands)
    page.locator("#audit-list li[data-action='validation_override']").first.wait_for()
    assert page.locator("#audit-list li[data-action='validation_override']").count() == 1
    validated = page.locator("#audit-list li[data-action='mission_validated']")
    stored_only = validated.count()  # the upload validated the stored version: that row stays
    page.get_by_label("Show the planner's draft checks").check()
    page.wait_for_function(
        "(n) => document.querySelectorAll(\"#audit-list li[data-action='mission_validated']\").length > n",
        arg=stored_only,
    )
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async () => (await axe.run({include: [['#flights'], ['#audit'], ['#plan']]},"
        " {resultTypes: ['violations']})).violations"
        ".filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => v.id)"
    )
    assert found == [], found
    assert not page.errors, page.errors


def metres_from(lon0: float, lat0: float, lon: float, lat: float) -> tuple[float, float]:
    return (lon - lon0) * 111_320 * math.cos(math.radians(lat0)), (lat - lat0) * 110_540


def test_survey_area_and_corridor_drawn_on_the_map_become_validated_items(
    demo_dem: Demo, new_page: Any
) -> None:
    page = new_page()
    log_in(page, demo_dem, "demo-pilot")
    lon, lat = home_of(demo_dem, page)
    centre = offset(lon, lat, 0.0, -400.0)
    page.evaluate(
        "([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat], zoom: 15})", list(centre)
    )
    wait_for_map(page)
    page.get_by_role("button", name="New mission").click()
    page.keyboard.press("Escape")  # no waypoints by clicking now

    # a survey area: four corners clicked on the map, 300 m by 160 m, lines 40 m apart
    page.get_by_label("Area pattern").select_option("survey")
    page.get_by_label("Line spacing (m)").fill("40")
    assert page.get_by_label("Corridor width (m)").is_hidden()
    page.get_by_role("button", name="Draw on the map").click()
    assert page.locator("#plan-area-draw").get_attribute("aria-pressed") == "true"
    assert page.locator("#plan-area-hint").is_visible()
    corners = [offset(*centre, e, n) for e, n in ((-150, -80), (150, -80), (150, 80), (-150, 80))]
    for k, corner in enumerate(corners, start=1):
        click_at(page, *corner)
        page.locator(f"#plan-area-count[data-vertices='{k}']").wait_for()
    assert page.locator(".plan-marker").count() == 1  # drawing adds no waypoints, only the take-off is there
    drawn = page.evaluate("window.borderwatchMap.getSource('plan-area').serialize().data.features")
    assert [f for f in drawn if f["geometry"]["type"] == "Polygon"]
    page.get_by_role("button", name="Finish and add items").click()
    page.locator("#plan-status[data-key='area.added']").wait_for()
    page.wait_for_function(f"['legal', 'illegal'].includes({VERDICT})")
    items = page.evaluate("window.borderwatchPlanner.draft.items")
    assert items[0]["kind"] == "takeoff" and items[-1]["kind"] == "rtl"
    assert items[1]["kind"] == "camera_trigger_distance" and items[-2]["kind"] == "camera_trigger_distance"
    waypoints = [i for i in items if i["kind"] == "waypoint"]
    assert len(waypoints) == 8  # 160 m across at 40 m: four lines, each flown end to end
    area = shape(
        {"type": "Polygon", "coordinates": [[list(metres_from(*centre, *c)) for c in [*corners, corners[0]]]]}
    )
    for w in waypoints:
        assert area.buffer(3.0).contains(Point(metres_from(*centre, w["lon"], w["lat"])))
        assert w["alt_m"] == 50 and w["alt_frame"] == "AGL"
    assert page.locator(".plan-marker").count() == 1 + len(waypoints)
    assert page.locator("#plan-area-draw").get_attribute("aria-pressed") == "false"
    status = page.locator("#plan-status").inner_text()
    assert "8 waypoints on 4 lines" in status, status
    screenshot(page, "plan-survey")

    # a corridor: a line of two clicks, 80 m wide at 40 m spacing -> two passes, one each way
    page.get_by_label("Area pattern").select_option("corridor")
    page.get_by_label("Corridor width (m)").fill("80")
    page.get_by_role("button", name="Draw on the map").click()
    start, end = offset(*centre, -200, 150), offset(*centre, 200, 150)
    click_at(page, *start)
    page.locator("#plan-area-count[data-vertices='1']").wait_for()
    assert page.locator("#plan-area-finish").is_disabled()  # a corridor needs two points
    click_at(page, *end)
    page.locator("#plan-area-count[data-vertices='2']").wait_for()
    before = len(items)
    page.get_by_role("button", name="Finish and add items").click()
    page.wait_for_function(
        f"(n) => window.borderwatchPlanner.draft.items.length === n + 4"
        f" && ['legal', 'illegal'].includes({VERDICT})",
        arg=before,
    )
    items = page.evaluate("window.borderwatchPlanner.draft.items")
    corridor = items[before - 1 : before + 3]
    norths = [metres_from(*centre, i["lon"], i["lat"])[1] for i in corridor]
    assert sorted(round(n) for n in norths) == pytest.approx([130, 130, 170, 170], abs=2)
    assert items[-1]["kind"] == "rtl"
    screenshot(page, "plan-corridor")

    # a bad drawing gets the service's words: a bow-tie is not an area
    page.get_by_label("Area pattern").select_option("survey")
    page.get_by_role("button", name="Draw on the map").click()
    for e, n in ((-100, -100), (100, 100), (100, -100), (-100, 100)):
        click_at(page, *offset(*centre, e, n))
    page.locator("#plan-area-count[data-vertices='4']").wait_for()
    page.get_by_role("button", name="Finish and add items").click()
    page.locator("#plan-status[data-key='plan.failed']").wait_for()
    assert "not a valid area" in page.locator("#plan-status").inner_text()
    page.keyboard.press("Escape")
    assert page.locator("#plan-area-draw").get_attribute("aria-pressed") == "false"
    assert not page.errors, page.errors


def export_file(page: Any, button: str, path: Path) -> Path:
    with page.expect_download() as download_info:
        page.get_by_role("button", name=button).click()
    download_info.value.save_as(path)
    return path


FLYING = {"takeoff", "waypoint", "loiter", "orbit", "land"}


def positioned(items: list[dict[str, Any]]) -> list[float]:
    """lon, lat, lon, lat, ... of the items the vehicle flies to, in order."""
    return [value for i in items if i["kind"] in FLYING for value in (i["lon"], i["lat"])]


def test_geojson_and_kml_round_trip_through_the_page(demo_dem: Demo, new_page: Any, tmp_path: Path) -> None:
    page = new_page()
    log_in(page, demo_dem, "demo-pilot")
    page.locator("#plan-import").set_input_files(str(PLAN))
    page.locator("#plan-status[data-key='plan.imported']").wait_for()
    original = page.evaluate("window.borderwatchPlanner.draft")

    # GeoJSON from borderwatch reads back exactly: the same items and home, as a new mission
    first = page.evaluate("window.borderwatchPlanner.missionId")
    geojson = export_file(page, "Export GeoJSON", tmp_path / "mission.geojson")
    assert json.loads(geojson.read_text())["type"] == "FeatureCollection"
    page.get_by_label("Import KML or GeoJSON").set_input_files(str(geojson))
    page.wait_for_function("(id) => window.borderwatchPlanner.missionId !== id", arg=first)
    page.locator("#plan-status[data-key='files.imported']").wait_for()
    again = page.evaluate("window.borderwatchPlanner.draft")
    assert again["items"] == original["items"] and again["home"] == original["home"]
    page.wait_for_function(f"['legal', 'illegal'].includes({VERDICT})")

    # KML is lossy (declared): the route's positions and order survive, commands without one do not
    second = page.evaluate("window.borderwatchPlanner.missionId")
    kml = export_file(page, "Export KML", tmp_path / "mission.kml")
    assert "<kml" in kml.read_text()[:300]
    page.get_by_label("Import KML or GeoJSON").set_input_files(str(kml))
    page.wait_for_function("(id) => window.borderwatchPlanner.missionId !== id", arg=second)
    read = page.evaluate("window.borderwatchPlanner.draft")
    assert positioned(read["items"]) == pytest.approx(positioned(original["items"]), abs=1e-7)
    assert page.locator(".plan-marker").count() == len(positioned(read["items"])) // 2
    page.wait_for_function(f"['legal', 'illegal'].includes({VERDICT})")

    # a file the service cannot read is refused with where and why
    broken = tmp_path / "broken.kml"
    broken.write_text("<kml><Placemark>")
    page.get_by_label("Import KML or GeoJSON").set_input_files(str(broken))
    page.locator("#plan-status[data-key='plan.failed']").wait_for()
    assert "not well-formed XML" in page.locator("#plan-status").inner_text()
    assert not page.errors, page.errors


def test_saved_versions_are_listed_and_an_older_one_loads_into_the_editor(
    demo_dem: Demo, new_page: Any
) -> None:
    page = new_page()
    log_in(page, demo_dem, "demo-pilot")
    lon, lat = home_of(demo_dem, page)
    page.evaluate("([lon, lat]) => window.borderwatchMap.jumpTo({center: [lon, lat], zoom: 15})", [lon, lat])
    wait_for_map(page)
    versions = page.locator("#plan-version-list")
    page.get_by_role("button", name="New mission").click()
    assert "Not saved yet" in versions.inner_text()
    click_at(page, *offset(lon, lat, 0, -150))
    page.locator(".plan-marker[data-plan-index='1']").wait_for()
    page.get_by_role("button", name="Save version").click()
    page.locator("#plan-version-list[data-count='1']").wait_for()
    mission_id = page.evaluate("window.borderwatchPlanner.missionId")
    click_at(page, *offset(lon, lat, 150, -150))
    page.locator(".plan-marker[data-plan-index='2']").wait_for()
    page.get_by_role("button", name="Save version").click()
    page.locator("#plan-version-list[data-count='2']").wait_for()
    assert versions.locator("li[data-version='2'][aria-current='true']").count() == 1
    assert "Version 1, 3 items, by demo-pilot" in versions.inner_text()
    assert "Version 2, 4 items, by demo-pilot" in versions.inner_text()

    page.get_by_role("button", name="Load version 1 into the editor").click()
    page.locator("#plan-status[data-key='versions.loaded']").wait_for()
    assert page.evaluate("window.borderwatchPlanner.savedVersion") == 1
    assert page.evaluate("window.borderwatchPlanner.missionId") == mission_id
    assert len(page.evaluate("window.borderwatchPlanner.draft.items")) == 3
    assert page.locator(".plan-marker").count() == 2
    page.locator("#plan-version-list li[data-version='1'][aria-current='true']").wait_for()
    page.wait_for_function(f"['legal', 'illegal'].includes({VERDICT})")  # validated again
    # an edit of the old version saves as a new version; nothing is overwritten
    page.get_by_label("Altitude of item 2 (m)").fill("60")
    page.get_by_label("Altitude of item 2 (m)").blur()
    page.get_by_role("button", name="Save version").click()
    page.locator("#plan-version-list[data-count='3']").wait_for()
    stored = demo_dem.get("demo-pilot", f"/api/missions/{mission_id}/versions")
    assert [len(v["mission"]["items"]) for v in sorted(stored, key=lambda v: v["version"])] == [3, 4, 3]
    screenshot(page, "plan-versions")

    # the new controls speak Polish and Czech too (every string in all three languages)
    page.locator("#app-lang").select_option("pl")
    page.get_by_role("button", name="Wczytaj wersję 1 do edytora").wait_for()
    assert page.locator("#plan-versions summary").inner_text() == "Zapisane wersje"
    assert page.locator(".plan-area-tool legend").inner_text() == "Obszar pomiaru lub korytarz"
    assert page.get_by_role("button", name="Eksportuj KML").is_visible()
    page.locator("#app-lang").select_option("cs")
    page.get_by_role("button", name="Načíst verzi 1 do editoru").wait_for()
    assert page.get_by_label("Plošný vzor").is_visible()
    assert page.get_by_role("button", name="Exportovat GeoJSON").is_visible()
    page.locator("#app-lang").select_option("en")
    page.get_by_role("button", name="Load version 1 into the editor").wait_for()

    # every new planner control is labelled (axe-core, serious and critical)
    page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate(
        "async () => (await axe.run(document.querySelector('#plan'), {resultTypes: ['violations']}))"
        ".violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => v.id)"
    )
    assert found == [], found
    assert not page.errors, page.errors


def test_commander_wall_layout_shows_cameras_next_to_the_vehicles(demo_dem: Demo, browser: Any) -> None:
    """The big-screen layout at 2560x1440: map in the middle, panels either side; the region's seven pole
    cameras listed and drawn (this demo runs without video; drone cameras on the map are tested against
    real simulated video in ``test_video_panel.py``)."""
    context = browser.new_context(viewport={"width": 2560, "height": 1440}, locale="en-GB", bypass_csp=True)
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(demo_dem.base_url + "/?layout=wall")
        page.locator("#username").fill("demo-commander")
        page.locator("#password").fill(demo_dem.passwords["demo-commander"])
        page.locator("#login-submit").click()
        page.locator("#app").wait_for(state="visible")
        wait_for_map(page)
        assert page.locator("body[data-layout='wall']").count() == 1
        assert page.locator("#wall-toggle").get_attribute("aria-pressed") == "true"

        # the map fills the middle; fleet and alerts on the left, flights, audit and cameras on the right
        canvas = page.locator("#map canvas").bounding_box()
        assert canvas["width"] >= 0.45 * 2560 and canvas["height"] >= 0.85 * 1440, canvas
        left = page.locator("#wall-left").bounding_box()
        right = page.locator("aside.side:not(#wall-left)").bounding_box()
        assert (
            left["x"] + left["width"] <= canvas["x"] + 1 and right["x"] >= canvas["x"] + canvas["width"] - 1
        )
        assert page.locator("#wall-left #alerts-heading").is_visible()
        assert page.locator("#wall-left #fleet-heading").is_visible()
        for panel in ("#flights", "#audit", "#cameras"):
            assert page.locator(panel).is_visible(), panel
        assert page.locator("#plan").is_hidden()

        # cameras: the region's poles from the service, listed and drawn with their footprints
        page.locator("#camera-list[data-count='7']").wait_for()
        assert page.locator(".camera-item[data-stream='false']").count() == 7
        assert page.locator(".camera-marker").count() == 7  # the poles and their footprints, drawn by the map
        shot = screenshot(page, "wall-2560x1440")
        assert shot.stat().st_size > 50_000

        # back to the desk layout: the panels return to the side bar, planning is there again
        page.locator("#wall-toggle").click()
        assert page.locator("body[data-layout='desk']").count() == 1
        assert page.locator("aside.side:not(#wall-left) #alerts-heading").is_visible()
        assert page.locator("#wall-left").is_hidden()
        assert page.locator("#plan").is_visible()
        page.add_script_tag(path=str(AXE_JS))
        found = page.evaluate(
            "async () => (await axe.run({include: [['#cameras'], ['.topbar']]},"
            " {resultTypes: ['violations']}))"
            ".violations.filter((v) => ['serious', 'critical'].includes(v.impact)).map((v) => v.id)"
        )
        assert found == [], found
        assert not errors, errors
    finally:
        context.close()
