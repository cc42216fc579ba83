"""Flight patterns and terrain following, checked against geometry with known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from geodata.crs import LocalTangentPlane, azimuth_deg, distance_m
from geodata.terrain import DemTerrain, FlatTerrain
from missions.model import (
    AltFrame,
    CameraTriggerDistance,
    GroundPoint,
    HomePosition,
    Land,
    Loiter,
    Mission,
    Orbit,
    Takeoff,
    Waypoint,
)
from missions.patterns import (
    Altitude,
    CameraSpec,
    build_mission,
    corridor,
    expanding_square,
    orbit,
    parallel_track,
    sector_search,
    survey_grid,
    terrain_follow,
)

from .conftest import metres_east


def waypoints(items: tuple[object, ...]) -> list[Waypoint]:
    return [i for i in items if isinstance(i, Waypoint)]


def leg_lengths(points: list[Waypoint]) -> np.ndarray:  # type: ignore[type-arg]
    lon = np.array([p.lon for p in points])
    lat = np.array([p.lat for p in points])
    return distance_m(lon[:-1], lat[:-1], lon[1:], lat[1:])


def test_survey_grid_over_a_long_rectangle_flies_along_it() -> None:
    west, south = 17.30, 50.29
    area = box(west, south, metres_east(west, south, 2000), south + 500 / 111_200)
    items = survey_grid(area, Altitude(80), spacing_m=50)
    points = waypoints(items)
    assert len(points) == 2 * 10  # 500 m across at 50 m spacing: 10 transects, 2 ends each
    headings = azimuth_deg(
        [p.lon for p in points[0:2]],
        [p.lat for p in points[0:2]],
        [p.lon for p in points[1:3]],
        [p.lat for p in points[1:3]],
    )
    assert headings[0] == pytest.approx(90, abs=1)  # first transect eastwards, along the long side
    grown = area.buffer(1e-6)
    assert all(grown.contains(Point(p.lon, p.lat)) for p in points)
    assert all(p.alt_frame is AltFrame.AGL and p.alt_m == 80 for p in points)


def test_survey_angle_is_chosen_to_minimise_turns() -> None:
    plane = LocalTangentPlane(17.30, 50.29)
    long_side = affinity.rotate(
        box(-1000, -250, 1000, 250), 30, origin=(0, 0)
    )  # bearing 60 deg on the ground
    east, north = np.asarray(long_side.exterior.coords).T
    lon, lat, _h = plane.from_enu(east, north, 0.0)
    area = Polygon(np.column_stack([lon, lat]))
    points = waypoints(survey_grid(area, Altitude(60), spacing_m=40))
    bearing = float(azimuth_deg(points[0].lon, points[0].lat, points[1].lon, points[1].lat))
    assert min(abs(bearing - 60.0), abs(bearing - 240.0)) < 1.5
    assert len(points) == 2 * 13  # 500 m across at 40 m spacing


def test_survey_spacing_and_trigger_come_from_the_camera() -> None:
    camera = CameraSpec(sensor_width_mm=13.2, sensor_height_mm=8.8, focal_length_mm=8.8)
    area = box(17.30, 50.29, 17.31, 50.30)
    items = survey_grid(area, Altitude(100), camera=camera, side_overlap=0.7, front_overlap=0.8)
    assert isinstance(items[0], CameraTriggerDistance) and items[0].distance_m == pytest.approx(20.0)
    assert isinstance(items[-1], CameraTriggerDistance) and items[-1].distance_m == 0
    points = waypoints(items)
    across = distance_m(points[1].lon, points[1].lat, points[2].lon, points[2].lat)  # one turn, same side
    assert float(across) == pytest.approx(45.0, rel=0.05)  # 150 m footprint, 70 % side overlap


def test_survey_rejects_bad_areas() -> None:
    bowtie = Polygon([(17.30, 50.29), (17.31, 50.30), (17.31, 50.29), (17.30, 50.30)])
    with pytest.raises(ValueError, match="not a valid polygon"):
        survey_grid(bowtie, Altitude(50))
    with pytest.raises(ValueError, match="narrower"):
        survey_grid(box(17.30, 50.29, 17.31, 50.29001), Altitude(50), spacing_m=50, angle_deg=0)


def test_corridor_passes_either_side_of_the_line() -> None:
    line = LineString([(17.30, 50.30), (metres_east(17.30, 50.30, 1000), 50.30)])
    points = waypoints(corridor(line, width_m=100, altitude=Altitude(60), spacing_m=50))
    assert len(points) == 4
    offsets = [distance_m(17.30, 50.30, 17.30, p.lat) for p in points]
    assert all(float(o) == pytest.approx(25.0, abs=1.0) for o in offsets)


def test_orbit_is_one_item() -> None:
    [item] = orbit(GroundPoint(lon=17.3, lat=50.3), 120, Altitude(70), turns=3)
    assert isinstance(item, Orbit) and (item.radius_m, item.turns, item.alt_frame) == (120, 3, AltFrame.AGL)


def test_expanding_square_leg_lengths_and_turns() -> None:
    points = waypoints(expanding_square(GroundPoint(lon=17.3, lat=50.3), 100, Altitude(60), legs=8))
    assert leg_lengths(points) == pytest.approx([100, 100, 200, 200, 300, 300, 400, 400], abs=0.5)
    lon = [p.lon for p in points]
    lat = [p.lat for p in points]
    bearings = azimuth_deg(lon[:-1], lat[:-1], lon[1:], lat[1:])
    assert np.diff(bearings) % 360 == pytest.approx([90] * 7, abs=0.5)


def test_sector_search_three_triangles_through_the_datum() -> None:
    datum = GroundPoint(lon=17.3, lat=50.3)
    points = waypoints(sector_search(datum, 500, Altitude(60)))
    assert len(points) == 10
    assert leg_lengths(points) == pytest.approx([500] * 9, abs=1.0)
    at_datum = [
        k for k, p in enumerate(points) if abs(p.lon - datum.lon) < 1e-9 and abs(p.lat - datum.lat) < 1e-9
    ]
    assert at_datum == [0, 3, 6, 9]


def test_parallel_track() -> None:
    points = waypoints(
        parallel_track(GroundPoint(lon=17.3, lat=50.3), 2000, 600, 200, Altitude(60), heading_deg=45)
    )
    assert len(points) == 6
    assert leg_lengths(points)[::2] == pytest.approx([2000] * 3, abs=1.0)
    assert leg_lengths(points)[1::2] == pytest.approx([200] * 2, abs=1.0)


def test_build_mission_wraps_with_takeoff_and_rtl() -> None:
    mission = build_mission(
        orbit(GroundPoint(lon=17.3, lat=50.3), 50, Altitude(40)), HomePosition(lon=17.3, lat=50.3)
    )
    assert [i.kind for i in mission.items] == ["takeoff", "orbit", "rtl"]


def _deviation_along(mission: Mission, terrain: DemTerrain) -> float:
    """Worst |alt - (ground + intent)| along every leg between terrain-followed items, densely sampled."""
    worst = 0.0
    positioned = [i for i in mission.items if isinstance(i, Waypoint) and i.agl_intent_m is not None]
    for a, b in itertools.pairwise(positioned):
        t = np.linspace(0, 1, 400)
        lon = a.lon + t * (b.lon - a.lon)
        lat = a.lat + t * (b.lat - a.lat)
        alt = a.alt_m + t * (b.alt_m - a.alt_m)
        ground = terrain.sample(lon, lat).elevation_amsl_m
        assert a.agl_intent_m is not None
        worst = max(worst, float(np.max(np.abs(alt - (ground + a.agl_intent_m)))))
    return worst


def test_terrain_following_over_the_ridge_stays_within_tolerance(ridge_terrain: DemTerrain) -> None:
    home = HomePosition(lon=17.235, lat=50.20)
    mission = Mission(
        items=(
            Takeoff(lon=home.lon, lat=home.lat, alt_m=30),
            Waypoint(lon=17.236, lat=50.20, alt_m=100, alt_frame=AltFrame.AGL),
            Waypoint(lon=17.265, lat=50.20, alt_m=100, alt_frame=AltFrame.AGL),
            Land(lon=17.265, lat=50.20),
        ),
        home=home,
    )
    followed = terrain_follow(mission, ridge_terrain, tolerance_m=10)
    inserted = len(followed.items) - len(mission.items)
    assert inserted >= 2  # at least up the ridge and down again
    assert all(not isinstance(i, Waypoint) or i.alt_frame is AltFrame.AMSL for i in followed.items)
    assert _deviation_along(followed, ridge_terrain) <= 10.0 + 1.0  # DEM sampling between 10 m samples
    crest = max((i for i in followed.items if isinstance(i, Waypoint)), key=lambda w: w.alt_m)
    assert crest.alt_m == pytest.approx(790.0, abs=12) and crest.lon == pytest.approx(17.25, abs=0.001)
    tighter = terrain_follow(mission, ridge_terrain, tolerance_m=2)
    assert len(tighter.items) > len(followed.items)


def test_terrain_following_on_a_plane_slope_needs_no_extra_waypoints(slope_terrain: DemTerrain) -> None:
    home = HomePosition(lon=17.2, lat=50.1)
    mission = Mission(
        items=(
            Takeoff(lon=home.lon, lat=home.lat, alt_m=30),
            Waypoint(lon=17.2, lat=50.101, alt_m=80, alt_frame=AltFrame.AGL),
            Waypoint(lon=17.2, lat=50.15, alt_m=80, alt_frame=AltFrame.AGL),
        ),
        home=home,
    )
    followed = terrain_follow(mission, slope_terrain)
    assert len(followed.items) == len(mission.items)
    last = followed.items[-1]
    assert isinstance(last, Waypoint) and last.alt_m == pytest.approx(200 + 2000 * 0.15 + 80, abs=0.5)
    assert last.agl_intent_m == 80


def test_terrain_following_refuses_unknown_terrain(ridge_terrain: DemTerrain) -> None:
    outside = Mission(
        items=(Waypoint(lon=17.6, lat=50.2, alt_m=80, alt_frame=AltFrame.AGL),),
        home=HomePosition(lon=17.6, lat=50.2),
    )
    with pytest.raises(ValueError, match="terrain unknown"):
        terrain_follow(outside, ridge_terrain)
    flat = terrain_follow(outside, FlatTerrain(250.0))
    assert isinstance(flat.items[0], Waypoint) and flat.items[0].alt_m == 330.0


def test_terrain_following_resolves_orbits_and_loiters(slope_terrain: DemTerrain) -> None:
    home = HomePosition(lon=17.2, lat=50.1)
    mission = Mission(
        items=(
            Takeoff(lon=home.lon, lat=home.lat, alt_m=30),
            Orbit(lon=17.2, lat=50.12, alt_m=70, alt_frame=AltFrame.AGL, turns=1, radius_m=50),
            Loiter(lon=17.2, lat=50.13, alt_m=60, alt_frame=AltFrame.AGL, duration_s=30),
        ),
        home=home,
    )
    followed = terrain_follow(mission, slope_terrain)
    orbit_item, loiter_item = followed.items[1], followed.items[2]
    assert isinstance(orbit_item, Orbit) and orbit_item.alt_frame is AltFrame.AMSL
    assert (
        orbit_item.alt_m == pytest.approx(200 + 2000 * 0.12 + 70, abs=0.5) and orbit_item.agl_intent_m == 70
    )
    assert isinstance(loiter_item, Loiter) and loiter_item.alt_m == pytest.approx(
        200 + 2000 * 0.13 + 60, abs=0.5
    )
