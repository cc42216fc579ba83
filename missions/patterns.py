"""Flight patterns: survey grid, corridor, orbit, the IAMSAR search patterns, and terrain following.

Patterns are planned in a local East-North plane (metres) around the pattern's own centre and handed back
as lon/lat items; they return item tuples so callers compose them into missions (``build_mission``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import affinity
from shapely.geometry import LineString, MultiLineString, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.crs import LocalTangentPlane
from missions.model import (
    AltFrame,
    CameraTriggerDistance,
    DoJump,
    FlyingItem,
    GroundPoint,
    HomePosition,
    Land,
    Loiter,
    Mission,
    MissionItem,
    Orbit,
    ReturnToLaunch,
    Takeoff,
    VehicleProfile,
    Waypoint,
)
from missions.path import TerrainLike, resolve_alt_amsl_m

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class CameraSpec:
    """Enough of a camera to turn height and overlap into line spacing and trigger distance."""

    sensor_width_mm: float = 13.2
    sensor_height_mm: float = 8.8
    focal_length_mm: float = 8.8

    def footprint_m(self, height_agl_m: float) -> tuple[float, float]:
        """Ground footprint (across track, along track) of one image taken straight down."""
        scale = height_agl_m / self.focal_length_mm
        return self.sensor_width_mm * scale, self.sensor_height_mm * scale


@dataclass(frozen=True)
class Altitude:
    value_m: float
    frame: AltFrame = AltFrame.AGL


def _plane_for(geom_lonlat: BaseGeometry) -> LocalTangentPlane:
    centre = geom_lonlat.centroid
    return LocalTangentPlane(float(centre.x), float(centre.y))


def _to_enu(plane: LocalTangentPlane, geom: BaseGeometry) -> BaseGeometry:
    def apply(coords: FloatArray) -> FloatArray:
        e, n, _u = plane.to_enu(coords[:, 0], coords[:, 1], 0.0)
        return np.column_stack([e, n])

    return shapely.transform(geom, apply)


def in_local_metres(geom_lonlat: BaseGeometry) -> BaseGeometry:
    """The geometry in its own East-North plane (metres, centred on its centroid): the frame the
    patterns are laid out in, so a caller can bound an area's size the way the patterns will see it."""
    return _to_enu(_plane_for(geom_lonlat), geom_lonlat)


def _to_lonlat(
    plane: LocalTangentPlane, east: FloatArray, north: FloatArray
) -> tuple[FloatArray, FloatArray]:
    lon, lat, _h = plane.from_enu(east, north, 0.0)
    return lon, lat


def _waypoints(
    plane: LocalTangentPlane, points_en: FloatArray, altitude: Altitude, *, acceptance_radius_m: float = 0.0
) -> list[Waypoint]:
    lon, lat = _to_lonlat(plane, points_en[:, 0], points_en[:, 1])
    return [
        Waypoint(
            lon=float(x),
            lat=float(y),
            alt_m=altitude.value_m,
            alt_frame=altitude.frame,
            acceptance_radius_m=acceptance_radius_m,
        )
        for x, y in zip(lon, lat, strict=True)
    ]


def _sweep_lines(area_en: Polygon, angle_deg: float, spacing_m: float) -> list[FloatArray]:
    """Transects across the area at ``angle_deg`` (direction of flight, degrees from east), ordered across."""
    rotated = affinity.rotate(area_en, -angle_deg, origin=(0.0, 0.0))
    min_x, min_y, max_x, max_y = rotated.bounds
    lines: list[FloatArray] = []
    y = min_y + spacing_m / 2.0
    while y < max_y:
        cut = rotated.intersection(LineString([(min_x - 1.0, y), (max_x + 1.0, y)]))
        parts = [cut] if isinstance(cut, LineString) else list(getattr(cut, "geoms", []))
        for part in sorted(
            (p for p in parts if isinstance(p, LineString) and p.length > 0), key=lambda p: p.bounds[0]
        ):
            coords = np.asarray(part.coords, dtype=np.float64)[[0, -1]]
            back = affinity.rotate(LineString(coords), angle_deg, origin=(0.0, 0.0))
            lines.append(np.asarray(back.coords, dtype=np.float64))
        y += spacing_m
    return lines


def _boustrophedon(lines: list[FloatArray], turnaround_m: float) -> FloatArray:
    points: list[FloatArray] = []
    for k, line in enumerate(lines):
        a, b = (line[0], line[1]) if k % 2 == 0 else (line[1], line[0])
        direction = b - a
        length = float(np.hypot(*direction))
        if turnaround_m > 0 and length > 0:
            unit = direction / length
            a, b = a - unit * turnaround_m, b + unit * turnaround_m
        points.extend([a, b])
    return np.asarray(points, dtype=np.float64).reshape(-1, 2)


def best_sweep_angle_deg(area_en: Polygon, spacing_m: float) -> float:
    """The flight direction with the fewest transects (so the fewest turns), searched in 1 degree steps."""
    best_angle, best_count = 0.0, math.inf
    for angle in range(0, 180):
        rotated = affinity.rotate(area_en, -angle, origin=(0.0, 0.0))
        height = rotated.bounds[3] - rotated.bounds[1]
        count = math.ceil(height / spacing_m)
        if count < best_count:
            best_angle, best_count = float(angle), count
    return best_angle


def survey_grid(
    area: Polygon,
    altitude: Altitude,
    *,
    spacing_m: float | None = None,
    camera: CameraSpec | None = None,
    side_overlap: float = 0.7,
    front_overlap: float = 0.8,
    angle_deg: float | None = None,
    turnaround_m: float = 0.0,
) -> tuple[MissionItem, ...]:
    """Lawn-mower transects over ``area`` (lon/lat polygon) with camera triggering by distance.

    Spacing comes from ``spacing_m`` or from the camera footprint at the altitude and the side overlap;
    ``angle_deg`` (flight direction, degrees from east) defaults to the one needing the fewest turns.
    """
    if not area.is_valid or area.is_empty:
        raise ValueError(f"survey area is not a valid polygon: {shapely.is_valid_reason(area)}")
    cam = camera or CameraSpec()
    across, along = cam.footprint_m(altitude.value_m)
    spacing = spacing_m if spacing_m is not None else across * (1.0 - side_overlap)
    if not spacing > 0:
        raise ValueError("line spacing must be positive")
    trigger = along * (1.0 - front_overlap)
    plane = _plane_for(area)
    area_en = _to_enu(plane, area)
    assert isinstance(area_en, Polygon)
    angle = angle_deg if angle_deg is not None else best_sweep_angle_deg(area_en, spacing)
    lines = _sweep_lines(area_en, angle, spacing)
    if not lines:
        raise ValueError("the area is narrower than one line spacing")
    points = _boustrophedon(lines, turnaround_m)
    return (
        CameraTriggerDistance(distance_m=round(trigger, 2)),
        *_waypoints(plane, points, altitude),
        CameraTriggerDistance(distance_m=0.0),
    )


def corridor(
    centreline: LineString, width_m: float, altitude: Altitude, *, spacing_m: float
) -> tuple[MissionItem, ...]:
    """Passes along a line (road, river, border stretch), offset either side to cover ``width_m``."""
    plane = _plane_for(centreline)
    line_en = _to_enu(plane, centreline)
    assert isinstance(line_en, LineString)
    passes = max(1, math.ceil(width_m / spacing_m))
    offsets = (np.arange(passes) - (passes - 1) / 2.0) * spacing_m
    points: list[FloatArray] = []
    for k, offset in enumerate(offsets):
        shifted = line_en.offset_curve(float(offset)) if offset != 0 else line_en
        if isinstance(shifted, MultiLineString):
            shifted = max(shifted.geoms, key=lambda g: g.length)
        coords = np.asarray(shifted.coords, dtype=np.float64)
        points.append(coords if k % 2 == 0 else coords[::-1])
    return tuple(_waypoints(plane, np.vstack(points), altitude))


def orbit(
    centre: GroundPoint, radius_m: float, altitude: Altitude, *, turns: float = 1.0
) -> tuple[MissionItem, ...]:
    """Circle a point (a scene, a missing person's last known position)."""
    return (
        Orbit(
            lon=centre.lon,
            lat=centre.lat,
            alt_m=altitude.value_m,
            alt_frame=altitude.frame,
            radius_m=radius_m,
            turns=turns,
        ),
    )


def _heading_unit(heading_deg: float) -> FloatArray:
    rad = math.radians(heading_deg)
    return np.array([math.sin(rad), math.cos(rad)])  # east, north for a compass heading


def expanding_square(
    datum: GroundPoint,
    track_spacing_m: float,
    altitude: Altitude,
    *,
    legs: int = 12,
    heading_deg: float = 0.0,
) -> tuple[MissionItem, ...]:
    """IAMSAR expanding square (SS): from the datum, legs of 1,1,2,2,3,3... spacings, turning right."""
    plane = LocalTangentPlane(datum.lon, datum.lat)
    position = np.zeros(2)
    points = [position.copy()]
    for k in range(legs):
        length = track_spacing_m * (k // 2 + 1)
        position = position + _heading_unit(heading_deg + 90.0 * k) * length
        points.append(position.copy())
    return tuple(_waypoints(plane, np.asarray(points), altitude))


def sector_search(
    datum: GroundPoint, radius_m: float, altitude: Altitude, *, heading_deg: float = 0.0
) -> tuple[MissionItem, ...]:
    """IAMSAR sector search (VS): three triangles through the datum, each turn 120 degrees right, so the
    search legs fan out every 60 degrees around the datum."""
    plane = LocalTangentPlane(datum.lon, datum.lat)
    points = [np.zeros(2)]
    for triangle in range(3):
        start = heading_deg + 120.0 * triangle
        first = _heading_unit(start) * radius_m
        second = first + _heading_unit(start + 120.0) * radius_m
        points.extend([first, second, np.zeros(2)])
    return tuple(_waypoints(plane, np.asarray(points), altitude))


def parallel_track(
    centre: GroundPoint,
    length_m: float,
    width_m: float,
    track_spacing_m: float,
    altitude: Altitude,
    *,
    heading_deg: float = 0.0,
) -> tuple[MissionItem, ...]:
    """IAMSAR parallel track (PS): tracks ``length_m`` long along ``heading_deg``, ``width_m`` wide."""
    plane = LocalTangentPlane(centre.lon, centre.lat)
    along = _heading_unit(heading_deg)
    across = _heading_unit(heading_deg + 90.0)
    tracks = max(1, math.ceil(width_m / track_spacing_m))
    offsets = (np.arange(tracks) - (tracks - 1) / 2.0) * track_spacing_m
    points: list[FloatArray] = []
    for k, offset in enumerate(offsets):
        a = across * offset - along * length_m / 2.0
        b = across * offset + along * length_m / 2.0
        points.extend([a, b] if k % 2 == 0 else [b, a])
    return tuple(_waypoints(plane, np.asarray(points), altitude))


def build_mission(
    pattern: Sequence[MissionItem],
    home: HomePosition,
    *,
    takeoff_alt_rel_m: float = 30.0,
    vehicle: VehicleProfile | None = None,
    name: str = "",
) -> Mission:
    """Take-off at home, the pattern, return to launch."""
    items: list[MissionItem] = [
        Takeoff(lon=home.lon, lat=home.lat, alt_m=takeoff_alt_rel_m, alt_frame=AltFrame.REL_HOME),
        *pattern,
        ReturnToLaunch(),
    ]
    return Mission(name=name, items=tuple(items), home=home, vehicle=vehicle or VehicleProfile())


# ---- terrain following ----------------------------------------------------------------------------


def _leg_insertions(
    lon: FloatArray,
    lat: FloatArray,
    ground: FloatArray,
    agl_m: float,
    tolerance_m: float,
) -> list[int]:
    """Indices of samples to turn into waypoints so that linear AMSL between them stays within tolerance of
    ground + agl (Douglas-Peucker on the wanted altitude profile)."""
    wanted = ground + agl_m
    keep: list[int] = []
    stack = [(0, wanted.size - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        t = np.linspace(0.0, 1.0, b - a + 1)
        line = wanted[a] + t * (wanted[b] - wanted[a])
        deviation = np.abs(wanted[a : b + 1] - line)
        k = int(np.argmax(deviation))
        if deviation[k] > tolerance_m:
            split = a + k
            keep.append(split)
            stack.extend([(a, split), (split, b)])
    return sorted(keep)


def terrain_follow(
    mission: Mission,
    terrain: TerrainLike,
    tolerance_m: float = 10.0,
    *,
    spacing_m: float = 10.0,
) -> Mission:
    """Every AGL altitude becomes AMSL over the terrain, with waypoints inserted wherever the terrain under a
    straight leg would leave the asked height by more than ``tolerance_m``; each derived item keeps its AGL
    intent. Raises ValueError where the terrain under an AGL item or leg is unknown.
    """
    items = list(mission.items)
    out: list[MissionItem] = []
    previous: tuple[float, float] | None = (mission.home.lon, mission.home.lat)
    home_amsl = mission.home.alt_amsl_m
    new_index: list[int] = []
    for index, item in enumerate(items):
        new_index.append(len(out))
        if not isinstance(item, Waypoint | Takeoff | Loiter | Orbit) or item.alt_frame is not AltFrame.AGL:
            if isinstance(item, FlyingItem | Land):
                previous = (float(item.lon), float(item.lat))
            out.append(item)
            continue
        agl = item.alt_m
        start = previous if previous is not None and not isinstance(item, Takeoff) else (item.lon, item.lat)
        leg = LineString([start, (item.lon, item.lat)]) if start != (item.lon, item.lat) else None
        if leg is not None:
            plane = LocalTangentPlane(start[0], start[1])
            e, n, _u = plane.to_enu(np.array([item.lon]), np.array([item.lat]), 0.0)
            length = float(math.hypot(float(e[0]), float(n[0])))
            count = max(2, math.ceil(length / spacing_m) + 1)
            t = np.linspace(0.0, 1.0, count)
            lon = start[0] + t * (item.lon - start[0])
            lat = start[1] + t * (item.lat - start[1])
        else:
            lon, lat = np.array([item.lon]), np.array([item.lat])
        ground = np.asarray(terrain.sample(lon, lat).elevation_amsl_m, dtype=np.float64)
        if np.isnan(ground).any():
            raise ValueError(f"item {index}: terrain unknown under the leg, cannot follow it")
        if leg is not None:
            for k in _leg_insertions(lon, lat, ground, agl, tolerance_m):
                out.append(
                    Waypoint(
                        lon=float(lon[k]),
                        lat=float(lat[k]),
                        alt_m=float(ground[k] + agl),
                        alt_frame=AltFrame.AMSL,
                        agl_intent_m=agl,
                    )
                )
        amsl = resolve_alt_amsl_m(
            agl, AltFrame.AGL, float(ground[-1]), home_amsl if home_amsl is not None else math.nan
        )
        new_index[-1] = len(out)  # a jump to this item lands on it, not on the waypoints inserted before it
        out.append(item.model_copy(update={"alt_m": amsl, "alt_frame": AltFrame.AMSL, "agl_intent_m": agl}))
        previous = (item.lon, item.lat)
    # inserted waypoints shift the items after them: DO_JUMP targets follow their items
    out = [
        it.model_copy(update={"target_item": new_index[it.target_item]})
        if isinstance(it, DoJump) and 0 <= it.target_item < len(new_index)
        else it
        for it in out
    ]
    return mission.with_items(out)
