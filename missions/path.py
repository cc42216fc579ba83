"""The 3D path a mission flies: vertices with AMSL altitudes, and legs sampled densely, all as numpy arrays.

Validation checks the legs, not only the vertices: a straight leg between two safe waypoints can still cut
through a zone or a ridge. Everything here is vectorised so a 1,000-item survey costs one terrain call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.crs import LocalTangentPlane
from missions.commands import DELAY_PARAM1_COMMANDS, CommandClass, command_info
from missions.formats.codec import ALT_OF_FRAME
from missions.model import (
    AltFrame,
    ChangeSpeed,
    DoJump,
    Land,
    Loiter,
    Mission,
    MissionItem,
    Orbit,
    OtherCommand,
    ReturnToLaunch,
    Takeoff,
    Waypoint,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

RTL_RETURN_ALT_REL_M = 60.0
"""PX4's RTL_RETURN_ALT default: RTL climbs to at least this height above home before flying back."""


class TerrainLike(Protocol):
    """The part of geodata's Terrain the mission code needs."""

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSampleLike: ...


class TerrainSampleLike(Protocol):
    @property
    def elevation_amsl_m(self) -> FloatArray: ...

    @property
    def accuracy_m(self) -> FloatArray: ...


class Phase(IntEnum):
    """What the vehicle is doing on a leg; clearance rules exempt take-off and landing."""

    TAKEOFF = 0
    CRUISE = 1
    LANDING = 2


@dataclass(frozen=True)
class PathVertices:
    """Vertices of the flown path. Vertex 0 is home on the ground; leg i runs from vertex i to i+1."""

    lon: FloatArray
    lat: FloatArray
    alt_amsl_m: FloatArray
    item_index: IntArray
    """Mission item that put the vehicle at this vertex (-1 for the start on the ground at home)."""
    leg_phase: NDArray[np.int8]
    """Phase of the leg that ends at this vertex (entry 0 unused)."""
    dwell_s: FloatArray
    """Time spent at the vertex (hold, loiter, orbit)."""
    orbit_m: FloatArray
    """Distance flown circling at the vertex (orbit turns, loiter circles)."""
    circle_radius_m: FloatArray
    """Radius of the circle flown at the vertex (orbit, loiter), 0 for none: sampled like a leg."""
    leg_speed_m_s: FloatArray
    """Commanded speed on the leg ending at the vertex (DO_CHANGE_SPEED); NaN = the vehicle's cruise speed."""

    @property
    def leg_count(self) -> int:
        return max(0, int(self.lon.size) - 1)


@dataclass(frozen=True)
class PathSamples:
    """Points along every leg, at most ``spacing`` apart, vertices included exactly once."""

    lon: FloatArray
    lat: FloatArray
    alt_amsl_m: FloatArray
    leg_index: IntArray
    distance_m: FloatArray
    """Horizontal distance along the path from home."""

    @property
    def size(self) -> int:
        return int(self.lon.size)


def home_ground_amsl_m(mission: Mission, terrain: TerrainLike | None) -> float:
    """Home altitude: the declared one, else terrain under home, else NaN (unknown)."""
    if mission.home.alt_amsl_m is not None:
        return float(mission.home.alt_amsl_m)
    if terrain is None:
        return math.nan
    sample = terrain.sample(np.array([mission.home.lon]), np.array([mission.home.lat]))
    return float(sample.elevation_amsl_m[0])


def resolve_alt_amsl_m(alt_m: float, frame: AltFrame, ground_amsl_m: float, home_amsl_m: float) -> float:
    """One altitude in its frame to AMSL; NaN when the reference it needs is unknown."""
    if frame is AltFrame.AMSL:
        return alt_m
    if frame is AltFrame.REL_HOME:
        return home_amsl_m + alt_m
    return ground_amsl_m + alt_m


@dataclass(frozen=True)
class OtherTarget:
    """Where a positional command without a typed item sends the vehicle (MAVLink params 5-7).

    ``None`` coordinates mean "where the vehicle is" (MAVLink's NaN), as PX4 reads them.
    """

    lon: float | None
    lat: float | None
    alt_m: float | None
    frame: AltFrame
    lands: bool
    radius_m: float
    takes_off: bool = False


def other_target(item: OtherCommand) -> OtherTarget | None:
    """The target of a positional OtherCommand, or None when it cannot be placed (a frame that is not
    global, or a command that is not positional): such an item is reported ``unchecked``."""
    info = command_info(item.command)
    if info is None or info.cls is not CommandClass.POSITIONAL:
        return None
    frame = ALT_OF_FRAME.get(item.frame)
    if frame is None:
        return None
    p = item.params
    lat = None if info.altitude_only else p[4]
    lon = None if info.altitude_only else p[5]
    if (lat is None) != (lon is None):
        return None
    radius = 0.0
    if info.radius_param is not None:
        value = p[info.radius_param]
        radius = abs(float(value)) if value is not None and math.isfinite(value) else 0.0
    return OtherTarget(lon, lat, p[6], frame, info.lands, radius, takes_off=info.takes_off)


def placed_in_path(item: MissionItem) -> bool:
    """Whether the path builder puts this item on the path (the record the validation report keeps)."""
    if isinstance(item, Takeoff | Waypoint | Loiter | Orbit | Land):
        return True
    return isinstance(item, OtherCommand) and other_target(item) is not None


MAX_FLOWN_ITEMS = 20_000
"""Unrolled DO_JUMP loops longer than this are cut (and reported by the structure rule)."""


def flight_order(items: tuple[MissionItem, ...]) -> list[int]:
    """Item indices in the order the vehicle executes them, DO_JUMP loops unrolled as PX4 does: a jump
    with ``repeat`` n sends the vehicle back n times, then is passed. So every leg a loop flies, and the
    time it takes, is checked. Invalid jumps (target out of range, negative repeat) are skipped here and
    reported by the structure rule."""
    remaining: dict[int, int] = {}
    order: list[int] = []
    k = 0
    while k < len(items) and len(order) < MAX_FLOWN_ITEMS:
        item = items[k]
        order.append(k)
        if isinstance(item, DoJump) and 0 <= item.target_item < len(items) and item.target_item != k:
            left = remaining.setdefault(k, max(item.repeat, 0))
            if left > 0:
                remaining[k] = left - 1
                k = item.target_item
                continue
        k += 1
    return order


def loop_overflows(items: tuple[MissionItem, ...]) -> bool:
    """DO_JUMP loops that unroll to more than MAX_FLOWN_ITEMS items: the path cannot be checked whole."""
    return len(flight_order(items)) >= MAX_FLOWN_ITEMS


def _ground_points(mission: Mission) -> dict[int, tuple[float, float]]:
    """(lon, lat) under every item whose altitude may need the terrain."""
    out: dict[int, tuple[float, float]] = {}
    for i, item in enumerate(mission.items):
        if isinstance(item, Takeoff | Waypoint | Loiter | Orbit | Land):
            out[i] = (float(item.lon), float(item.lat))
        elif isinstance(item, OtherCommand):
            target = other_target(item)
            if target is not None and target.lon is not None and target.lat is not None:
                out[i] = (float(target.lon), float(target.lat))
    return out


def build_vertices(mission: Mission, terrain: TerrainLike | None) -> PathVertices:
    """Turns the item list into the path a PX4-like vehicle flies, with every altitude in AMSL.

    Every positional command takes part: typed items and the positional commands of the command table
    (spline waypoints, unlimited loiters, loiter-to-altitude, VTOL take-off and landing, reposition...).
    """
    home_amsl = home_ground_amsl_m(mission, terrain)
    points = _ground_points(mission)
    ground = np.full(len(points), math.nan)
    if terrain is not None and points:
        pts = np.asarray(list(points.values()), dtype=np.float64)
        ground = np.asarray(terrain.sample(pts[:, 0], pts[:, 1]).elevation_amsl_m, dtype=np.float64)
    ground_of = {index: float(g) for index, g in zip(points, ground, strict=True)}

    lon = [mission.home.lon]
    lat = [mission.home.lat]
    alt = [home_amsl]
    item_index = [-1]
    phase = [int(Phase.TAKEOFF)]
    dwell = [0.0]
    orbit = [0.0]
    radius = [0.0]
    speed = [math.nan]
    commanded = math.nan

    def add(
        x: float,
        y: float,
        z: float,
        idx: int,
        ph: Phase,
        dwell_s: float = 0.0,
        orbit_m: float = 0.0,
        radius_m: float = 0.0,
    ) -> None:
        lon.append(x)
        lat.append(y)
        alt.append(z)
        item_index.append(idx)
        phase.append(int(ph))
        dwell.append(dwell_s)
        orbit.append(orbit_m)
        radius.append(radius_m)
        speed.append(commanded)

    for i in flight_order(mission.items):
        item = mission.items[i]
        if isinstance(item, Takeoff):
            z = resolve_alt_amsl_m(item.alt_m, item.alt_frame, ground_of[i], home_amsl)
            add(lon[-1], lat[-1], z, i, Phase.TAKEOFF)
            if (item.lon, item.lat) != (lon[-1], lat[-1]):
                add(item.lon, item.lat, z, i, Phase.CRUISE)
        elif isinstance(item, Waypoint):
            z = resolve_alt_amsl_m(item.alt_m, item.alt_frame, ground_of[i], home_amsl)
            add(item.lon, item.lat, z, i, Phase.CRUISE, dwell_s=item.hold_s)
        elif isinstance(item, Loiter):
            z = resolve_alt_amsl_m(item.alt_m, item.alt_frame, ground_of[i], home_amsl)
            add(item.lon, item.lat, z, i, Phase.CRUISE, dwell_s=item.duration_s, radius_m=item.radius_m)
        elif isinstance(item, Orbit):
            z = resolve_alt_amsl_m(item.alt_m, item.alt_frame, ground_of[i], home_amsl)
            circle_m = 2.0 * math.pi * item.radius_m * item.turns
            add(item.lon, item.lat, z, i, Phase.CRUISE, orbit_m=circle_m, radius_m=item.radius_m)
        elif isinstance(item, ChangeSpeed):
            commanded = float(item.speed_m_s)
        elif isinstance(item, OtherCommand) and item.command in DELAY_PARAM1_COMMANDS:
            wait = item.params[0]
            if wait is not None and math.isfinite(wait) and wait > 0:
                dwell[-1] += float(wait)
        elif isinstance(item, OtherCommand) and (target := other_target(item)) is not None:
            x = lon[-1] if target.lon is None else float(target.lon)
            y = lat[-1] if target.lat is None else float(target.lat)
            if target.lon is not None and terrain is not None and i not in ground_of:
                ground_of[i] = math.nan
            under = ground_of.get(i, math.nan) if target.lon is not None else _ground_at(terrain, x, y)
            if target.alt_m is None or not math.isfinite(target.alt_m):
                z = alt[-1]
            else:
                z = resolve_alt_amsl_m(float(target.alt_m), target.frame, under, home_amsl)
            if target.lands:
                add(x, y, alt[-1], i, Phase.CRUISE)
                add(x, y, under, i, Phase.LANDING)
                break
            if target.takes_off:
                add(lon[-1], lat[-1], z, i, Phase.TAKEOFF)
                if (x, y) != (lon[-1], lat[-1]):
                    add(x, y, z, i, Phase.CRUISE)
            else:
                add(x, y, z, i, Phase.CRUISE, radius_m=target.radius_m)
        elif isinstance(item, Land):
            add(item.lon, item.lat, alt[-1], i, Phase.CRUISE)
            add(item.lon, item.lat, ground_of[i], i, Phase.LANDING)
            break
        elif isinstance(item, ReturnToLaunch):
            cruise = max(alt[-1], home_amsl + RTL_RETURN_ALT_REL_M)
            if cruise != alt[-1]:
                add(lon[-1], lat[-1], cruise, i, Phase.CRUISE)
            add(mission.home.lon, mission.home.lat, cruise, i, Phase.CRUISE)
            add(mission.home.lon, mission.home.lat, home_amsl, i, Phase.LANDING)
            break
    return PathVertices(
        lon=np.asarray(lon, dtype=np.float64),
        lat=np.asarray(lat, dtype=np.float64),
        alt_amsl_m=np.asarray(alt, dtype=np.float64),
        item_index=np.asarray(item_index, dtype=np.intp),
        leg_phase=np.asarray(phase, dtype=np.int8),
        dwell_s=np.asarray(dwell, dtype=np.float64),
        orbit_m=np.asarray(orbit, dtype=np.float64),
        circle_radius_m=np.asarray(radius, dtype=np.float64),
        leg_speed_m_s=np.asarray(speed, dtype=np.float64),
    )


def _ground_at(terrain: TerrainLike | None, lon: float, lat: float) -> float:
    if terrain is None:
        return math.nan
    return float(terrain.sample(np.array([lon]), np.array([lat])).elevation_amsl_m[0])


def leg_lengths_m(vertices: PathVertices) -> tuple[FloatArray, FloatArray]:
    """Horizontal and vertical (signed, up positive) length of every leg, in metres."""
    if vertices.lon.size < 2:
        return np.zeros(0), np.zeros(0)
    plane = LocalTangentPlane(float(vertices.lon[0]), float(vertices.lat[0]))
    east, north, _up = plane.to_enu(vertices.lon, vertices.lat, 0.0)
    horizontal = np.hypot(np.diff(east), np.diff(north))
    vertical = np.diff(vertices.alt_amsl_m)
    return horizontal, vertical


def sample_legs(vertices: PathVertices, spacing_m: float) -> PathSamples:
    """Points along all legs at once: one ``np.repeat`` instead of a Python loop per leg."""
    n_vertices = int(vertices.lon.size)
    if n_vertices == 0:
        empty = np.zeros(0)
        return PathSamples(empty, empty, empty, np.zeros(0, dtype=np.intp), empty)
    if n_vertices == 1:
        return PathSamples(
            vertices.lon.copy(),
            vertices.lat.copy(),
            vertices.alt_amsl_m.copy(),
            np.zeros(1, dtype=np.intp),
            np.zeros(1),
        )
    horizontal, _vertical = leg_lengths_m(vertices)
    safe_horizontal = np.where(np.isfinite(horizontal), horizontal, 0.0)
    per_leg = np.maximum(1, np.ceil(safe_horizontal / spacing_m).astype(np.intp))
    leg_index = np.repeat(np.arange(per_leg.size, dtype=np.intp), per_leg)
    starts = np.cumsum(per_leg) - per_leg
    step = np.arange(leg_index.size, dtype=np.intp) - starts[leg_index]
    t = step / per_leg[leg_index]
    a, b = leg_index, leg_index + 1
    lon = vertices.lon[a] + t * (vertices.lon[b] - vertices.lon[a])
    lat = vertices.lat[a] + t * (vertices.lat[b] - vertices.lat[a])
    alt = vertices.alt_amsl_m[a] + t * (vertices.alt_amsl_m[b] - vertices.alt_amsl_m[a])
    cumulative = np.concatenate([[0.0], np.cumsum(safe_horizontal)])
    distance = cumulative[a] + t * safe_horizontal[leg_index]
    last = n_vertices - 1
    straight = PathSamples(
        lon=np.append(lon, vertices.lon[last]),
        lat=np.append(lat, vertices.lat[last]),
        alt_amsl_m=np.append(alt, vertices.alt_amsl_m[last]),
        leg_index=np.append(leg_index, last - 1),
        distance_m=np.append(distance, cumulative[last]),
    )
    vertex_sample = np.append(starts, straight.size - 1)
    return _with_circles(straight, vertices, vertex_sample, spacing_m)


def _with_circles(
    samples: PathSamples, vertices: PathVertices, vertex_sample: IntArray, spacing_m: float
) -> PathSamples:
    """Adds points around every orbit/loiter circle, just before the sample of the vertex they circle, as
    part of the leg that arrives there (zones and terrain within the radius count too)."""
    circled = np.flatnonzero((vertices.circle_radius_m > 0) & (np.arange(vertices.lon.size) > 0))
    if circled.size == 0:
        return samples
    radius = vertices.circle_radius_m[circled]
    per_circle = np.maximum(8, np.ceil(2.0 * np.pi * radius / spacing_m).astype(np.intp))
    owner = np.repeat(np.arange(circled.size), per_circle)
    step = np.arange(owner.size) - np.repeat(np.cumsum(per_circle) - per_circle, per_circle)
    angle = 2.0 * np.pi * step / per_circle[owner]
    v = circled[owner]
    lat0 = vertices.lat[v]
    east = radius[owner] * np.cos(angle)
    north = radius[owner] * np.sin(angle)
    lon = vertices.lon[v] + east / (111_320.0 * np.cos(np.radians(lat0)))
    lat = lat0 + north / 110_540.0
    at = vertex_sample[v]
    return PathSamples(
        lon=np.insert(samples.lon, at, lon),
        lat=np.insert(samples.lat, at, lat),
        alt_amsl_m=np.insert(samples.alt_amsl_m, at, vertices.alt_amsl_m[v]),
        leg_index=np.insert(samples.leg_index, at, v - 1),
        distance_m=np.insert(samples.distance_m, at, samples.distance_m[at]),
    )
