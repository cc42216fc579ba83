"""Footprint geometry from untrusted coordinates: validation with locations, repair, circles and arcs.

Circles become polygons whose edges lie *outside* the true circle (vertices on a slightly larger
radius), so a point inside the real circle is always inside the footprint: densification can only
make a zone bigger, never let a drone slip through a chord. The maximum outward error is
``CIRCLE_TOLERANCE_M`` (1 m) for every radius up to where the vertex cap applies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.validation import explain_validity

from geodata.errors import Problem

WGS84_GEOD = Geod(ellps="WGS84")
CIRCLE_TOLERANCE_M = 1.0
MIN_CIRCLE_VERTICES = 32
MAX_CIRCLE_VERTICES = 720
MAX_RING_VERTICES = 1_000_000

# Rough national boxes (lon_min, lat_min, lon_max, lat_max) for the swapped-axes check.
COUNTRY_BOXES: dict[str, tuple[float, float, float, float]] = {
    "CZE": (12.0, 48.5, 18.9, 51.1),
    "POL": (14.1, 49.0, 24.2, 54.9),
    "SVK": (16.8, 47.7, 22.6, 49.7),
    "DEU": (5.8, 47.2, 15.1, 55.1),
    "AUT": (9.5, 46.3, 17.2, 49.1),
    "CHE": (5.9, 45.8, 10.5, 47.9),
    "FRA": (-5.2, 41.3, 9.6, 51.1),
}


class GeometryError(ValueError):
    """Unusable geometry; ``location`` points into the input."""

    def __init__(self, location: str, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message

    def problem(self) -> Problem:
        return Problem(self.location, self.message)


def position_array(raw: object, loc: str) -> NDArray[np.float64]:
    """``[[lon, lat(, alt)], ...]`` -> float array (n, 2); precise errors for anything else."""
    if not isinstance(raw, list) or not raw:
        raise GeometryError(loc, f"expected a non-empty array of [lon, lat] positions, got {_kind(raw)}")
    if len(raw) > MAX_RING_VERTICES:
        raise GeometryError(loc, f"{len(raw)} positions is over the limit of {MAX_RING_VERTICES}")
    try:
        arr = np.array(raw)
    except (ValueError, TypeError):
        arr = np.array([], dtype=object)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.dtype.kind not in "fiu":
        _raise_first_bad_position(raw, loc)
    coords = arr[:, :2].astype(np.float64)
    finite = np.isfinite(coords).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise GeometryError(f"{loc}[{i}]", f"position {raw[i]!r} is not a finite number pair")
    return coords


def _raise_first_bad_position(raw: list[object], loc: str) -> None:
    for i, pos in enumerate(raw):
        if not isinstance(pos, list) or len(pos) not in (2, 3):
            raise GeometryError(f"{loc}[{i}]", f"position must be [lon, lat], got {_kind(pos)} {pos!r:.60}")
        for j, v in enumerate(pos):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise GeometryError(
                    f"{loc}[{i}][{j}]", f"coordinate must be a number, got {_kind(v)} {v!r:.40}"
                )
    raise GeometryError(loc, "positions are not a uniform array of numbers")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def check_lon_lat(coords: NDArray[np.float64], loc: str, country: str | None = None) -> None:
    """Out-of-range or axis-swapped positions are refused with the reason (never silently swapped)."""
    lon = coords[:, 0]
    lat = coords[:, 1]
    bad_lat = np.abs(lat) > 90
    bad_lon = np.abs(lon) > 180
    if bad_lat.any() or bad_lon.any():
        i = int(np.argmax(bad_lat | bad_lon))
        swapped_ok = bool((np.abs(lon) <= 90).all() and (np.abs(lat) <= 180).all())
        hint = "; the positions look like [lat, lon], but this format is [lon, lat]" if swapped_ok else ""
        raise GeometryError(f"{loc}[{i}]", f"lon {lon[i]:.6f}, lat {lat[i]:.6f} is out of range{hint}")
    box = COUNTRY_BOXES.get(country or "")
    if box is not None and not _inside(lon, lat, box).any() and _inside(lat, lon, box).all():
        raise GeometryError(
            loc,
            f"positions lie outside {country} but inside it with lon and lat exchanged: "
            "they look like [lat, lon], this format is [lon, lat]",
        )


def _inside(lon: NDArray[np.float64], lat: NDArray[np.float64], box: tuple[float, ...]) -> NDArray[np.bool_]:
    result: NDArray[np.bool_] = (lon >= box[0]) & (lon <= box[2]) & (lat >= box[1]) & (lat <= box[3])
    return result


def closed_ring(coords: NDArray[np.float64], loc: str, warnings: list[Problem]) -> NDArray[np.float64]:
    """Close an open ring (with a warning) and refuse rings with under three distinct corners."""
    if len(coords) >= 2 and not np.array_equal(coords[0], coords[-1]):
        warnings.append(Problem(loc, "ring not closed (first position != last); closed it"))
        coords = np.vstack([coords, coords[:1]])
    distinct = np.unique(coords, axis=0)
    if len(distinct) < 3:
        raise GeometryError(loc, f"ring has {len(distinct)} distinct position(s); a polygon needs 3")
    return coords


def polygon_from_rings(
    rings: Sequence[NDArray[np.float64]], loc: str, warnings: list[Problem]
) -> Polygon | MultiPolygon:
    """A valid polygon; self-intersections are repaired (warned, with GEOS's location) or refused."""
    poly = Polygon(rings[0], [r for r in rings[1:]])
    return repaired(poly, loc, warnings)


def repaired(geom: Polygon | MultiPolygon, loc: str, warnings: list[Problem]) -> Polygon | MultiPolygon:
    if geom.is_valid and not geom.is_empty and geom.area > 0:
        return geom
    reason = explain_validity(geom) if not geom.is_empty else "empty"
    fixed = shapely.make_valid(geom)
    parts = [g for g in shapely.get_parts(fixed) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        raise GeometryError(loc, f"polygon has no area ({reason}); cannot repair")
    result: Polygon | MultiPolygon = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    if geom.area > 0 and abs(result.area - geom.area) > 0.5 * geom.area:
        warnings.append(Problem(loc, f"area changed a lot while repairing ({reason})"))
    warnings.append(Problem(loc, f"invalid polygon repaired: {reason}"))
    return result


def circle_vertex_count(radius_m: float) -> int:
    if radius_m <= CIRCLE_TOLERANCE_M:
        return MIN_CIRCLE_VERTICES
    half_angle = math.acos(max(-1.0, 1.0 - CIRCLE_TOLERANCE_M / radius_m))
    n = math.ceil(math.pi / half_angle)
    return max(MIN_CIRCLE_VERTICES, min(MAX_CIRCLE_VERTICES, n))


def circle_polygon(center_lon: float, center_lat: float, radius_m: float, loc: str = "circle") -> Polygon:
    """Geodesic circle as a polygon that contains the true circle (edges tangent-ish outside it)."""
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise GeometryError(loc, f"circle radius must be a positive number of metres, got {radius_m!r}")
    if radius_m > 1_000_000:
        raise GeometryError(loc, f"circle radius {radius_m:.0f} m is implausibly large (> 1000 km)")
    check_lon_lat(np.array([[center_lon, center_lat]]), loc)
    n = circle_vertex_count(radius_m)
    outer_radius = radius_m / math.cos(math.pi / n)
    azimuths = np.linspace(0.0, 360.0, n, endpoint=False)
    lons, lats, _ = WGS84_GEOD.fwd(
        np.full(n, center_lon), np.full(n, center_lat), azimuths, np.full(n, outer_radius)
    )
    ring = np.column_stack([lons, lats])
    return Polygon(np.vstack([ring, ring[:1]]))


def arc_positions(
    center: tuple[float, float],
    radius_m: float,
    start_az_deg: float,
    end_az_deg: float,
    clockwise: bool,
) -> NDArray[np.float64]:
    """Points on a geodesic arc from start to end azimuth (both included), densified to 1 m sagitta."""
    sweep = (end_az_deg - start_az_deg) % 360.0 if clockwise else (start_az_deg - end_az_deg) % 360.0
    if sweep == 0.0:
        sweep = 360.0
    step = 360.0 / circle_vertex_count(radius_m)
    n = max(2, math.ceil(sweep / step) + 1)
    offsets = np.linspace(0.0, sweep, n)
    azimuths = start_az_deg + offsets if clockwise else start_az_deg - offsets
    lons, lats, _ = WGS84_GEOD.fwd(
        np.full(n, center[0]), np.full(n, center[1]), azimuths, np.full(n, radius_m)
    )
    return np.column_stack([lons, lats])


def azimuth_distance(center: tuple[float, float], point: tuple[float, float]) -> tuple[float, float]:
    az, _, dist = WGS84_GEOD.inv(center[0], center[1], point[0], point[1])
    return float(az), float(dist)
