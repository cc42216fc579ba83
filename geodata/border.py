"""State borders as country polygons: which country a point is in, where a path crosses, how far to the line.

Cross-border flights need all three: the partner to notify on a crossing, and a warning before it happens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geodata.crs import Crs, transform, transform_geometry, utm_epsg_for
from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem
from geodata.zones.source_io import load_json_document

FloatArray = NDArray[np.float64]
ISO3_PROPERTY_NAMES = ("iso_a3", "ISO_A3", "iso3", "adm0_a3", "ADM0_A3")
"""Feature properties that may carry the ISO 3166-1 alpha-3 code (Natural Earth and geo-maps spell it so)."""
OUTSIDE = ""
"""Country code of a point no loaded country polygon contains."""

_ON_BOUNDARY_DEG = 1e-9


@dataclass(frozen=True)
class BorderCrossing:
    """Where leg ``leg_index`` (vertex i to i+1) of a path passes from one country to another."""

    leg_index: int
    lon: float
    lat: float
    from_country: str
    to_country: str


@dataclass(frozen=True)
class _Section:
    leg: int
    t_start: float
    t_end: float
    start: tuple[float, float]
    country: str


class Border:
    """Country polygons keyed by ISO3 and the border lines between them."""

    def __init__(
        self,
        countries: Mapping[str, Polygon | MultiPolygon],
        *,
        names: Mapping[str, str] | None = None,
        border_lines: BaseGeometry | None = None,
    ) -> None:
        if not countries:
            raise ValueError("a border needs at least one country polygon")
        self.countries: dict[str, Polygon | MultiPolygon] = dict(countries)
        self.names: dict[str, str] = dict(names or {})
        self._codes = list(self.countries)
        self._polygons = [self.countries[c] for c in self._codes]
        for polygon in self._polygons:
            shapely.prepare(polygon)
        self._boundaries = shapely.union_all([p.boundary for p in self._polygons])
        shapely.prepare(self._boundaries)
        lines = border_lines if border_lines is not None else _shared_edges(self._polygons)
        self.border_line: BaseGeometry = lines
        centre = (lines if not lines.is_empty else self._boundaries).centroid
        self._metric_epsg = utm_epsg_for(float(centre.x), float(centre.y))
        self._border_metric = transform_geometry(lines, Crs.WGS84, self._metric_epsg)
        # One short segment per tree entry: nearest-segment queries stay logarithmic in the border length.
        self._segment_tree = shapely.STRtree(_segments(self._border_metric))

    # ---- construction -------------------------------------------------------------------------------

    @classmethod
    def from_geojson(
        cls, source: str | Path | Mapping[str, Any], *, max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    ) -> Border:
        """Polygon features with an ISO3 property become countries; LineString features, if any, are
        taken as the border line itself (otherwise it is derived from the edges the countries share)."""
        if isinstance(source, Mapping):
            return _parse_feature_collection(source, "<memory>")
        document, name = load_json_document(Path(source), max_input_bytes)
        return _parse_feature_collection(document, name)

    @property
    def iso3_codes(self) -> list[str]:
        return list(self._codes)

    # ---- queries ------------------------------------------------------------------------------------

    def country_at(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.str_]:
        """ISO3 code per point ("" outside every country); a point exactly on a border gets the first."""
        lons, lats = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        out = np.full(lons.shape, OUTSIDE, dtype="<U3")
        open_ = np.ones(lons.shape, dtype=bool)
        for code, polygon in zip(self._codes, self._polygons, strict=True):
            hit = open_ & shapely.intersects_xy(polygon, lons, lats)
            out[hit] = code
            open_ &= ~hit
        return out

    def distance_to_border_m(self, lon: ArrayLike, lat: ArrayLike) -> FloatArray:
        """Metres to the nearest point of the border line, in the UTM zone of the border (33N here)."""
        lons, lats = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        if self._border_metric.is_empty:
            return np.full(lons.shape, np.nan)
        x, y = transform(lons, lats, Crs.WGS84, self._metric_epsg)
        points = shapely.points(x.ravel(), y.ravel())
        _pairs, distances = self._segment_tree.query_nearest(points, return_distance=True, all_matches=False)
        return np.asarray(distances, dtype=np.float64).reshape(lons.shape)

    def crossings(self, lon: ArrayLike, lat: ArrayLike) -> list[BorderCrossing]:
        """Every change of country along the path, in path order. Leaving all countries is a change to ""."""
        lons = np.atleast_1d(np.asarray(lon, dtype=np.float64)).ravel()
        lats = np.atleast_1d(np.asarray(lat, dtype=np.float64)).ravel()
        _check_path(lons, lats)
        if lons.size < 2:
            return []
        sections = self._sections(lons, lats)
        result: list[BorderCrossing] = []
        previous: _Section | None = None
        for section in sections:
            if previous is not None and section.country != previous.country:
                # The crossing is where the new country starts; at a vertex, that is the end of the leg
                # before (also after travelling along the border line itself).
                leg = section.leg - 1 if section.t_start == 0.0 and section.leg > 0 else section.leg
                result.append(
                    BorderCrossing(leg, section.start[0], section.start[1], previous.country, section.country)
                )
            previous = section
        return result

    def _sections(self, lons: FloatArray, lats: FloatArray) -> list[_Section]:
        """Splits each leg at the country boundaries; sections lying on a boundary are dropped."""
        legs = shapely.linestrings(
            np.stack([np.column_stack([lons[:-1], lats[:-1]]), np.column_stack([lons[1:], lats[1:]])], axis=1)
        )
        hits = shapely.intersection(legs, self._boundaries)
        sections: list[_Section] = []
        for leg_index, (leg, hit) in enumerate(zip(legs, hits, strict=True)):
            length = float(leg.length)
            cuts = {0.0, 1.0}
            if length > 0 and not hit.is_empty:
                coords = shapely.get_coordinates(hit)
                cuts.update(float(t) for t in shapely.line_locate_point(leg, shapely.points(coords)) / length)
            ts = sorted(t for t in cuts if 0.0 <= t <= 1.0)
            if length == 0:
                continue
            starts = np.array(ts[:-1])
            ends = np.array(ts[1:])
            keep = ends - starts > 1e-12
            starts, ends = starts[keep], ends[keep]
            mids = shapely.line_interpolate_point(leg, (starts + ends) / 2.0, normalized=True)
            mid_xy = shapely.get_coordinates(mids)
            on_boundary = shapely.dwithin(mids, self._boundaries, _ON_BOUNDARY_DEG)
            countries = self.country_at(mid_xy[:, 0], mid_xy[:, 1])
            start_xy = shapely.get_coordinates(shapely.line_interpolate_point(leg, starts, normalized=True))
            for i in range(starts.size):
                if on_boundary[i]:
                    continue
                sections.append(
                    _Section(
                        leg_index,
                        float(starts[i]),
                        float(ends[i]),
                        (float(start_xy[i, 0]), float(start_xy[i, 1])),
                        str(countries[i]),
                    )
                )
        return sections


def _segments(lines: BaseGeometry) -> NDArray[np.object_]:
    """Every two-point segment of a (multi)line."""
    segments: list[NDArray[np.object_]] = []
    for part in shapely.get_parts(lines):
        coords = shapely.get_coordinates(part)
        if coords.shape[0] >= 2:
            segments.append(shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1)))
    return np.concatenate(segments) if segments else np.empty(0, dtype=object)


def _shared_edges(polygons: Sequence[BaseGeometry]) -> BaseGeometry:
    """Lines two countries have in common; with a single country, its whole outline."""
    if len(polygons) == 1:
        return polygons[0].boundary
    parts: list[BaseGeometry] = []
    for i, first in enumerate(polygons):
        for second in polygons[i + 1 :]:
            common = shapely.intersection(first.boundary, second.boundary)
            linear = [
                g
                for g in shapely.get_parts(common)
                if isinstance(g, LineString | MultiLineString) and not g.is_empty
            ]
            parts.extend(linear)
    if not parts:
        return MultiLineString()
    return shapely.line_merge(shapely.union_all(parts))


def _check_path(lons: FloatArray, lats: FloatArray) -> None:
    problems: list[Problem] = []
    if lons.shape != lats.shape:
        problems.append(Problem("path", f"{lons.size} longitudes but {lats.size} latitudes"))
    else:
        bad = np.flatnonzero(~(np.isfinite(lons) & np.isfinite(lats)) | (np.abs(lats) > 90))
        if bad.size:
            problems.append(Problem(f"path[{int(bad[0])}]", "not a valid lon/lat coordinate"))
    if problems:
        raise InputError("<path>", problems)


# ---- GeoJSON parsing ---------------------------------------------------------------------------------


def _parse_feature_collection(document: object, source: str) -> Border:
    if not isinstance(document, Mapping):
        raise InputError(source, [Problem("$", "expected a GeoJSON object")])
    features = document.get("features")
    if document.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InputError(source, [Problem("$", "expected a FeatureCollection with a 'features' array")])
    problems: list[Problem] = []
    countries: dict[str, list[Polygon]] = {}
    names: dict[str, str] = {}
    lines: list[LineString] = []
    for index, feature in enumerate(features):
        where = f"$.features[{index}]"
        if not isinstance(feature, Mapping):
            problems.append(Problem(where, "feature is not an object"))
            continue
        geometry = feature.get("geometry")
        props = feature.get("properties") or {}
        if not isinstance(geometry, Mapping) or not isinstance(props, Mapping):
            problems.append(Problem(where, "feature needs a geometry object and a properties object"))
            continue
        kind = geometry.get("type")
        coords = geometry.get("coordinates")
        if kind in ("LineString", "MultiLineString"):
            parsed_lines = _parse_lines(kind, coords, f"{where}.geometry.coordinates", problems)
            lines.extend(parsed_lines)
            continue
        if kind not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(f"{where}.geometry.type", f"unsupported geometry type {kind!r}"))
            continue
        code = next((props[k] for k in ISO3_PROPERTY_NAMES if isinstance(props.get(k), str)), None)
        if code is None or len(code) != 3 or not code.isalpha():
            problems.append(Problem(f"{where}.properties", "needs a 3-letter ISO country code in 'iso_a3'"))
            continue
        code = code.upper()
        polygons = _parse_polygons(kind, coords, f"{where}.geometry.coordinates", problems)
        if polygons:
            countries.setdefault(code, []).extend(polygons)
            name = props.get("name")
            if isinstance(name, str):
                names.setdefault(code, name)
    if problems:
        raise InputError(source, problems)
    if not countries:
        raise InputError(source, [Problem("$.features", "no country polygon found")])
    merged: dict[str, Polygon | MultiPolygon] = {}
    for code, parts in countries.items():
        union = shapely.union_all(parts)
        if not isinstance(union, Polygon | MultiPolygon):
            raise InputError(source, [Problem(code, "country polygons do not form an area")])
        merged[code] = union
    border_lines = shapely.line_merge(MultiLineString(lines)) if lines else None
    return Border(merged, names=names, border_lines=border_lines)


def _position_problem(position: object) -> str | None:
    if not isinstance(position, list | tuple) or len(position) < 2:
        return "position must be [lon, lat]"
    lon, lat = position[0], position[1]
    if isinstance(lon, bool) or isinstance(lat, bool) or not isinstance(lon, int | float):
        return "coordinates must be numbers"
    if not isinstance(lat, int | float):
        return "coordinates must be numbers"
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return "coordinates must be finite"
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return f"[{lon}, {lat}] is not a lon/lat position (lon -180..180, lat -90..90; order is lon, lat)"
    return None


def _parse_ring(ring: object, where: str, problems: list[Problem]) -> list[tuple[float, float]] | None:
    if not isinstance(ring, list) or len(ring) < 4:
        problems.append(Problem(where, "a linear ring needs at least 4 positions"))
        return None
    for i, position in enumerate(ring):
        message = _position_problem(position)
        if message:
            problems.append(Problem(f"{where}[{i}]", message))
            return None
    points = [(float(p[0]), float(p[1])) for p in ring]
    if points[0] != points[-1]:
        problems.append(Problem(where, "ring is not closed (first and last positions differ)"))
        return None
    return points


def _parse_polygon(rings: object, where: str, problems: list[Problem]) -> Polygon | None:
    if not isinstance(rings, list) or not rings:
        problems.append(Problem(where, "a polygon needs at least one ring"))
        return None
    parsed = [_parse_ring(ring, f"{where}[{i}]", problems) for i, ring in enumerate(rings)]
    if any(r is None for r in parsed):
        return None
    shell, *holes = [r for r in parsed if r is not None]
    polygon = Polygon(shell, holes)
    if not polygon.is_valid:
        problems.append(Problem(where, f"invalid polygon: {shapely.is_valid_reason(polygon)}"))
        return None
    return polygon


def _parse_polygons(kind: object, coords: object, where: str, problems: list[Problem]) -> list[Polygon]:
    if kind == "Polygon":
        polygon = _parse_polygon(coords, where, problems)
        return [polygon] if polygon is not None else []
    if not isinstance(coords, list):
        problems.append(Problem(where, "MultiPolygon coordinates must be an array of polygons"))
        return []
    polygons = [_parse_polygon(c, f"{where}[{i}]", problems) for i, c in enumerate(coords)]
    return [p for p in polygons if p is not None]


def _parse_lines(kind: object, coords: object, where: str, problems: list[Problem]) -> list[LineString]:
    parts = [coords] if kind == "LineString" else coords
    if not isinstance(parts, list):
        problems.append(Problem(where, "coordinates must be an array"))
        return []
    lines: list[LineString] = []
    for i, part in enumerate(parts):
        part_where = where if kind == "LineString" else f"{where}[{i}]"
        if not isinstance(part, list) or len(part) < 2:
            problems.append(Problem(part_where, "a line needs at least 2 positions"))
            continue
        bad = next(((j, m) for j, p in enumerate(part) if (m := _position_problem(p))), None)
        if bad is not None:
            problems.append(Problem(f"{part_where}[{bad[0]}]", bad[1]))
            continue
        lines.append(LineString([(float(p[0]), float(p[1])) for p in part]))
    return lines
