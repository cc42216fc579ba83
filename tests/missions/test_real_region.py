"""Smoke tests on the real region: its zones and border, over the real coarse DEM (SRTM30_PLUS, +-130 m)."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.atlas import Region, load_region
from missions.fence import derive_geofence
from missions.formats.qgc_plan import load_plan
from missions.model import AltFrame, HomePosition
from missions.patterns import Altitude, build_mission, survey_grid, terrain_follow
from missions.validate import RuleId, Severity, validate

from .conftest import route

PLANS = Path(__file__).parent / "plans"


@pytest.fixture(scope="module")
def region(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Region:
    dem = shared_data / "dem" / "region_dem_srtm30plus_1500m.tif"
    data_dir = tmp_path_factory.mktemp("userdata")
    return load_region("jesenik-nysa", data_dir=data_dir, dem_paths=[dem], environ={})


def test_flight_from_mikulovice_to_glucholazy(region: Region) -> None:
    home = HomePosition(lon=17.33, lat=50.30)
    mission = route([(17.381, 50.313)], 80, AltFrame.AGL, home=home)
    report = validate(mission, region)
    border = [v for v in report.violations if v.rule_id is RuleId.BORDER]
    assert border and "from CZE into POL" in border[0].message
    terrain = [v for v in report.violations if v.rule_id is RuleId.TERRAIN_QUALITY]
    assert len(terrain) == 1 and terrain[0].severity is Severity.WARNING and "±130 m" in terrain[0].message
    zone_ids = {v.zone_id for v in report.violations if v.rule_id is RuleId.ZONES}
    assert "BWX-PL-TOWN-GLUCHOLAZY" in zone_ids
    authorised = mission.model_copy(update={"cross_border_authorisation": "INC-2026-7"})
    assert not [v for v in validate(authorised, region).violations if v.rule_id is RuleId.BORDER]


def test_jesenik_hospital_heliport_is_prohibited(region: Region) -> None:
    mission = route([(17.205, 50.230)], 80, AltFrame.AGL, home=HomePosition(lon=17.180, lat=50.230))
    report = validate(mission, region)
    assert any(v.zone_id == "BWX-CZ-HEMS-JESENIK" and v.severity is Severity.ERROR for v in report.violations)
    fence = derive_geofence(mission, region)
    assert fence.point_count <= mission.vehicle.max_fence_points
    assert any(not p.inclusion for p in fence.polygons) or any(not c.inclusion for c in fence.circles)


def test_qgc_plans_validate_against_the_region(region: Region) -> None:
    for name in ("jesenik_waypoints.plan", "glucholazy_survey.plan", "nysa_terrain_corridor.plan"):
        report = validate(load_plan(PLANS / name), region)
        assert report.violations, name  # the coarse DEM alone warrants a terrain note
        assert all(v.messages for v in report.violations)


def test_terrain_following_survey_over_the_real_dem(region: Region) -> None:
    from shapely.geometry import box

    area = box(17.20, 50.05, 17.24, 50.08)  # slopes below Praděd
    mission = build_mission(
        survey_grid(area, Altitude(80), spacing_m=150), HomePosition(lon=17.20, lat=50.05)
    )
    followed = terrain_follow(mission, region.terrain, tolerance_m=10)
    assert len(followed.items) > len(mission.items)  # the mountain needs extra waypoints
    report = validate(followed, region)
    assert not [v for v in report.violations if v.rule_id is RuleId.TERRAIN_CLEARANCE]
