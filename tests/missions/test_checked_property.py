"""Property (issue 11): LEGAL implies every positional item and every leg was checked against zones,
border and terrain of known coverage, read from the validation report's own check record."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geodata.coverage import DataCoverage
from geodata.terrain import DemTerrain, FlatTerrain
from missions.model import (
    AltFrame,
    CameraStop,
    ChangeSpeed,
    HomePosition,
    Land,
    Loiter,
    Mission,
    MissionItem,
    OtherCommand,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
)
from missions.validate import validate

from .conftest import WORLD_COVERAGE, region_with, split_border

HOME = HomePosition(lon=17.10, lat=50.20)
# commands without a typed item: positional ones (spline, loiter variants, VTOL, reposition), payload
# ones, flight changes the path model does not reproduce, and one MAVLink does not define
OTHER_COMMANDS = (82, 17, 31, 84, 85, 192, 34, 30, 183, 2000, 203, 176, 179, 189, 31000, 54321)
FRAMES = (0, 2, 3, 10, 1)

lons = st.floats(17.08, 17.13)
lats = st.floats(50.18, 50.22)
alts = st.floats(10.0, 150.0)
alt_frames = st.sampled_from([AltFrame.REL_HOME, AltFrame.AGL, AltFrame.AMSL])


@st.composite
def item(draw: st.DrawFn) -> MissionItem:
    kind = draw(st.sampled_from(["wp", "wp", "loiter", "other", "other", "speed", "camera"]))
    if kind == "wp":
        frame = draw(alt_frames)
        alt = draw(alts) + (300.0 if frame is AltFrame.AMSL else 0.0)
        return Waypoint(lon=draw(lons), lat=draw(lats), alt_m=alt, alt_frame=frame)
    if kind == "loiter":
        return Loiter(
            lon=draw(lons), lat=draw(lats), alt_m=draw(alts), duration_s=5, radius_m=draw(st.floats(0, 40))
        )
    if kind == "speed":
        return ChangeSpeed(speed_m_s=draw(st.floats(2, 12)))
    if kind == "camera":
        return CameraStop()
    alt: Any = draw(st.one_of(st.none(), alts))
    params = (draw(st.floats(0, 30)), 0.0, draw(st.floats(0, 30)), 0.0, draw(lats), draw(lons), alt)
    return OtherCommand(
        command=draw(st.sampled_from(OTHER_COMMANDS)), frame=draw(st.sampled_from(FRAMES)), params=params
    )


@st.composite
def missions(draw: st.DrawFn) -> Mission:
    body = draw(st.lists(item(), min_size=1, max_size=7))
    end: MissionItem = draw(st.sampled_from([ReturnToLaunch(), Land(lon=HOME.lon, lat=HOME.lat)]))
    home_alt = draw(st.sampled_from([None, 300.0, 0.0, 320.0]))
    home = HOME.model_copy(update={"alt_amsl_m": home_alt})
    takeoff = Takeoff(lon=home.lon, lat=home.lat, alt_m=draw(alts))
    return Mission(items=(takeoff, *body, end), home=home)


PARTIAL = DataCoverage(zones=box(16.9, 49.9, 17.11, 50.6), border=box(16.9, 49.9, 17.6, 50.6))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mission=missions(), world=st.integers(0, 5))
def test_legal_implies_everything_was_checked(
    mission: Mission, world: int, ridge_terrain: DemTerrain, coarse_ridge_terrain: DemTerrain
) -> None:
    region = [
        region_with(ridge_terrain),
        region_with(coarse_ridge_terrain),
        region_with(FlatTerrain(300.0)),
        region_with(ridge_terrain, coverage=None),
        region_with(ridge_terrain, coverage=PARTIAL),
        region_with(ridge_terrain, border=split_border(), coverage=WORLD_COVERAGE),
    ][world]
    report = validate(mission, region)
    if not report.ok:
        return
    record = report.checked
    assert record is not None
    assert set(record.positional_items) <= set(record.path_items), "a positional item was not on the path"
    assert record.legs, "no leg was checked"
    for leg in record.legs:
        assert leg.zones and leg.border, f"leg {leg.leg_index} outside zone/border coverage"
        assert leg.terrain != "unknown", f"leg {leg.leg_index} over unknown terrain"
