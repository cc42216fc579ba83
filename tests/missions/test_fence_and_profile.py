"""Geofence derivation (safe-side simplification within a point budget) and the profile picture."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import LineString, Polygon, box

from geodata.terrain import DemTerrain
from geodata.vertical import VerticalRef
from geodata.zones.geometry import circle_polygon
from geodata.zones.model import Circle, Restriction
from missions.fence import derive_geofence, geofence_to_items
from missions.model import AltFrame, HomePosition, Mission
from missions.path import build_vertices
from missions.profile import render_profile_png

from .conftest import make_zone, region_with, route

HOME = HomePosition(lon=17.10, lat=50.20)


def wiggly(lon0: float, lat0: float, size: float, teeth: int) -> Polygon:
    """A zone outline with many vertices (a saw-tooth edge), to force simplification."""
    top = [(lon0 + size * k / teeth, lat0 + size + (size / 20 if k % 2 else 0)) for k in range(teeth + 1)]
    return Polygon([(lon0, lat0), (lon0 + size, lat0), *reversed(top)])


@pytest.fixture
def fence_world(ridge_terrain: DemTerrain) -> tuple[Mission, object, dict[str, Polygon]]:
    footprints = {
        "NEAR-PROHIB": wiggly(17.115, 50.205, 0.004, 60),
        "CIRCLE": circle_polygon(17.125, 50.195, 150.0),
        "AUTH-HELD": box(17.105, 50.19, 17.108, 50.193),
        "AUTH-MISSING": box(17.11, 50.19, 17.113, 50.193),
        "COND": box(17.12, 50.21, 17.123, 50.213),
        "FAR": box(17.30, 50.30, 17.31, 50.31),
        "HIGH": box(17.13, 50.20, 17.133, 50.203),
    }
    zones = [
        make_zone("NEAR-PROHIB", Restriction.PROHIBITED, footprints["NEAR-PROHIB"]),
        make_zone(
            "CIRCLE", Restriction.PROHIBITED, footprints["CIRCLE"], circle=Circle(17.125, 50.195, 150.0)
        ),
        make_zone("AUTH-HELD", Restriction.REQ_AUTHORISATION, footprints["AUTH-HELD"]),
        make_zone("AUTH-MISSING", Restriction.REQ_AUTHORISATION, footprints["AUTH-MISSING"]),
        make_zone("COND", Restriction.CONDITIONAL, footprints["COND"]),
        make_zone("FAR", Restriction.PROHIBITED, footprints["FAR"]),
        make_zone(
            "HIGH",
            Restriction.PROHIBITED,
            footprints["HIGH"],
            lower=(2000.0, VerticalRef.AMSL),
            upper=(3000.0, VerticalRef.AMSL),
        ),
    ]
    mission = route([(17.12, 50.20), (17.12, 50.202)], 80, AltFrame.AGL, zone_authorisations=("AUTH-HELD",))
    return mission, region_with(ridge_terrain, zones), footprints


def test_fence_keeps_the_path_inside_and_the_blocking_zones_out(fence_world: tuple) -> None:  # type: ignore[type-arg]
    mission, region, footprints = fence_world
    fence = derive_geofence(mission, region, max_points=200)
    inclusions = [p for p in fence.polygons if p.inclusion]
    exclusions = [p for p in fence.polygons if not p.inclusion]
    assert len(inclusions) == 1
    vertices = build_vertices(mission, None)
    path = LineString(list(zip(vertices.lon, vertices.lat, strict=True)))
    assert Polygon(inclusions[0].vertices).contains(path)
    covered = {
        name
        for name in ("NEAR-PROHIB", "AUTH-MISSING")
        if any(Polygon(p.vertices).buffer(1e-7).contains(footprints[name]) for p in exclusions)
    }
    assert covered == {"NEAR-PROHIB", "AUTH-MISSING"}
    [circle] = fence.circles
    assert (circle.lon, circle.lat, circle.radius_m, circle.inclusion) == (17.125, 50.195, 150.0, False)
    for skipped in ("AUTH-HELD", "COND", "FAR", "HIGH"):
        assert not any(Polygon(p.vertices).intersects(footprints[skipped].centroid) for p in exclusions), (
            skipped
        )
    assert fence.point_count <= 200 and fence.not_represented == ()


def test_fence_fits_a_small_budget_by_simplifying_then_dropping_far_zones(fence_world: tuple) -> None:  # type: ignore[type-arg]
    mission, region, footprints = fence_world
    simplified = derive_geofence(mission, region, max_points=40)
    assert simplified.point_count <= 40 and simplified.not_represented == ()  # the saw-tooth was simplified
    [near] = [
        p
        for p in simplified.polygons
        if not p.inclusion and Polygon(p.vertices).intersects(footprints["NEAR-PROHIB"])
    ]
    assert len(near.vertices) < 60 and Polygon(near.vertices).buffer(1e-7).contains(footprints["NEAR-PROHIB"])
    tight = derive_geofence(mission, region, max_points=12)
    assert tight.point_count <= 12 and tight.not_represented  # said, not silently dropped
    for polygon in (p for p in tight.polygons if not p.inclusion):
        assert any(Polygon(polygon.vertices).buffer(1e-7).contains(footprints[n]) for n in footprints)


def test_fence_items_respect_the_vehicles_budget(fence_world: tuple) -> None:  # type: ignore[type-arg]
    mission, region, _footprints = fence_world
    small_vehicle = mission.model_copy(
        update={"vehicle": mission.vehicle.model_copy(update={"max_fence_points": 16})}
    )
    fence = derive_geofence(small_vehicle, region)
    assert len(geofence_to_items(fence)) == fence.point_count <= 16


def test_profile_png_is_drawn(tmp_path: Path, fence_world: tuple) -> None:  # type: ignore[type-arg]
    mission, region, _footprints = fence_world
    path = render_profile_png(mission, region, tmp_path / "out" / "profile.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
