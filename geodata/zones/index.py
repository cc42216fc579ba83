"""Zone queries: at a point, in bulk, along a 3D path, inside an area (shapely STRtree).

One vectorised core decides every (point, volume) pair, so the scalar, bulk and path queries can
never disagree. Each end of a volume's band is compared in its own frame:

* AGL limits against the point's height above the terrain (known only with the ground elevation);
* AMSL limits against the point's AMSL altitude;
* WGS84 limits converted to AMSL with the EGM96 undulation at the point;
* STD (flight level) limits as an AMSL *interval* from the ISA envelope (``geodata.atmosphere``).

Anything unknown widens the comparison instead of guessing: with no terrain under the point an AGL
band can neither be confirmed nor excluded, so the zone is reported as a hit and flagged
``uncertain`` (never ground = 0). Near a flight level inside the ISA margin the same applies.

``at=None`` means "regardless of time": every zone counts, active or not (conservative for
planning); pass an aware datetime to drop zones whose applicability is not in force.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from geodata.atmosphere import DEFAULT_STD_ENVELOPE, StdEnvelope, std_to_amsl_range_m
from geodata.geoid import bundled_grid
from geodata.vertical import Height, VerticalRef, agl_interval, amsl_interval
from geodata.zones.geometry import WGS84_GEOD
from geodata.zones.hit_memo import BulkHitMemo, PointHits
from geodata.zones.model import AltitudeLimit, Zone

_AGL, _AMSL, _WGS84, _STD = 0, 1, 2, 3
_REF_CODE = {VerticalRef.AGL: _AGL, VerticalRef.AMSL: _AMSL, VerticalRef.WGS84: _WGS84, VerticalRef.STD: _STD}
GroundFn = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True)
class ZoneHit:
    zone: Zone
    zone_index: int
    volume_indices: tuple[int, ...]
    uncertain: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PathHit:
    """The first sample of leg ``leg_index`` (vertex i -> i+1) that is inside ``zone``."""

    leg_index: int
    zone: Zone
    zone_index: int
    lon: float
    lat: float
    alt_amsl_m: float
    distance_along_leg_m: float
    uncertain: bool


@dataclass(frozen=True)
class BulkHits:
    """Every (point, zone volume) inside-pair, sorted by point; ``uncertain`` per pair."""

    point_idx: NDArray[np.int64]
    zone_idx: NDArray[np.int64]
    volume_idx: NDArray[np.int64]
    uncertain: NDArray[np.bool_]


@dataclass(frozen=True)
class _PointFrames:
    """Per-point altitude intervals in the two frames limits are compared in."""

    amsl_lo: NDArray[np.float64]
    amsl_hi: NDArray[np.float64]
    agl_lo: NDArray[np.float64]
    agl_hi: NDArray[np.float64]

    def take(self, points: NDArray[np.intp]) -> _PointFrames:
        return _PointFrames(
            self.amsl_lo[points], self.amsl_hi[points], self.agl_lo[points], self.agl_hi[points]
        )


class ZoneIndex:
    """Immutable spatial index over the volumes of ``zones``. Bulk queries remember their recent answers
    (``hit_memo``): the same point asked again is not looked up again."""

    def __init__(
        self,
        zones: Sequence[Zone],
        *,
        std_envelope: StdEnvelope = DEFAULT_STD_ENVELOPE,
        remembered_queries: int = 4,
    ) -> None:
        self._zones: tuple[Zone, ...] = tuple(zones)
        self.std_envelope = std_envelope
        geoms: list[BaseGeometry] = []
        vol_zone: list[int] = []
        vol_local: list[int] = []
        lower: list[AltitudeLimit] = []
        upper: list[AltitudeLimit] = []
        for zi, zone in enumerate(self._zones):
            for vi, volume in enumerate(zone.volumes):
                geoms.append(volume.footprint)
                vol_zone.append(zi)
                vol_local.append(vi)
                lower.append(volume.lower)
                upper.append(volume.upper)
        self._geoms = np.array(geoms, dtype=object)
        shapely.prepare(self._geoms)
        self._tree = STRtree(self._geoms)
        self._vol_zone = np.array(vol_zone, dtype=np.int64)
        self._vol_local = np.array(vol_local, dtype=np.int64)
        self._lower_ref, self._lower_val, self._lower_lo, self._lower_hi = self._limit_arrays(
            lower, upper=False
        )
        self._upper_ref, self._upper_val, self._upper_lo, self._upper_hi = self._limit_arrays(
            upper, upper=True
        )
        self._permanent = np.array([z.applicability.permanent for z in self._zones], dtype=bool)
        self._single_volume = all(len(z.volumes) == 1 for z in self._zones)
        self._bounds = shapely.bounds(self._geoms) if len(self._geoms) else np.empty((0, 4))
        self._grid = _CandidateGrid.build(self._tree, self._bounds)
        self._memo = BulkHitMemo(keep=remembered_queries)  # 0: every query asks the index
        self._active_at: dict[datetime, NDArray[np.bool_]] = {}

    def _limit_arrays(
        self, limits: list[AltitudeLimit], *, upper: bool
    ) -> tuple[NDArray[np.int8], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        refs = np.array([_REF_CODE[lim.ref] for lim in limits], dtype=np.int8)
        values = np.array([lim.value_m for lim in limits], dtype=np.float64)
        lo = values.copy()
        hi = values.copy()
        std = refs == _STD
        if std.any():
            finite = std & np.isfinite(values)
            s_lo, s_hi = std_to_amsl_range_m(values[finite], self.std_envelope)
            lo[finite] = s_lo
            hi[finite] = s_hi
        if not upper:
            ground = (refs == _AGL) & (values <= 0)  # "from the ground": every flying point is above
            lo[ground] = -np.inf
            hi[ground] = -np.inf
        return refs, values, lo, hi

    @property
    def zones(self) -> tuple[Zone, ...]:
        return self._zones

    def __len__(self) -> int:
        return len(self._zones)

    # ---- core -------------------------------------------------------------------------------------

    def _active_zones(self, at: datetime | None) -> NDArray[np.bool_] | None:
        if at is None or self._permanent.all():
            return None
        known = self._active_at.get(at)
        if known is not None:
            return known
        active = self._permanent.copy()
        for zi in np.flatnonzero(~self._permanent):
            active[zi] = self._zones[zi].applicability.is_active(at)
        if len(self._active_at) >= 16:  # a planner asks at one planned start, edit after edit
            self._active_at.clear()
        self._active_at[at] = active
        return active

    def _limit_bounds(
        self,
        refs: NDArray[np.int8],
        values: NDArray[np.float64],
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lo = lo.copy()
        hi = hi.copy()
        wgs = refs == _WGS84
        if wgs.any():
            undulation = bundled_grid().undulation_or_nan(lon[wgs], lat[wgs])
            converted = values[wgs] - undulation
            unknown = np.isnan(converted)
            lo[wgs] = np.where(unknown, -np.inf, converted)
            hi[wgs] = np.where(unknown, np.inf, converted)
        return lo, hi

    def _decide(
        self,
        p: NDArray[np.int64],
        v: NDArray[np.int64],
        frames: _PointFrames,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """(inside band possible, inside band uncertain) for each pair."""
        lref = self._lower_ref[v]
        uref = self._upper_ref[v]
        l_lo, l_hi = self._limit_bounds(
            lref, self._lower_val[v], self._lower_lo[v], self._lower_hi[v], lon, lat
        )
        u_lo, u_hi = self._limit_bounds(
            uref, self._upper_val[v], self._upper_lo[v], self._upper_hi[v], lon, lat
        )
        l_agl = lref == _AGL
        u_agl = uref == _AGL
        pl_lo = np.where(l_agl, frames.agl_lo[p], frames.amsl_lo[p])
        pl_hi = np.where(l_agl, frames.agl_hi[p], frames.amsl_hi[p])
        pu_lo = np.where(u_agl, frames.agl_lo[p], frames.amsl_lo[p])
        pu_hi = np.where(u_agl, frames.agl_hi[p], frames.amsl_hi[p])
        possible = (pl_hi >= l_lo) & (pu_lo <= u_hi)
        certain = (pl_lo >= l_hi) & (pu_hi <= u_lo)
        return possible, possible & ~certain

    def _pairs(
        self,
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        frames: _PointFrames,
        at: datetime | None,
    ) -> BulkHits:
        empty = np.empty(0, dtype=np.int64)
        if len(self._geoms) == 0 or lon.size == 0:
            return BulkHits(empty, empty, empty, np.empty(0, dtype=bool))
        p, v = self._grid.candidates(lon, lat, self._bounds)
        if p is None or v is None:
            p, v = self._tree.query(shapely.points(lon, lat))
            order = np.lexsort((v, p))
            p, v = p[order], v[order]
        active = self._active_zones(at)
        if active is not None:
            keep = active[self._vol_zone[v]]
            p, v = p[keep], v[keep]
        possible, uncertain = self._decide(p, v, frames, lon[p], lat[p])
        p, v, uncertain = p[possible], v[possible], uncertain[possible]
        inside = shapely.intersects_xy(self._geoms[v], lon[p], lat[p])
        p, v, uncertain = p[inside], v[inside], uncertain[inside]
        return BulkHits(p.astype(np.int64), self._vol_zone[v], v.astype(np.int64), uncertain)

    # ---- public queries ---------------------------------------------------------------------------

    def bulk_hits_detailed(
        self,
        lon: ArrayLike,
        lat: ArrayLike,
        alt_amsl_m: ArrayLike,
        *,
        ground_amsl_m: ArrayLike | None = None,
        at: datetime | None = None,
    ) -> BulkHits:
        """Per volume hits with the uncertainty flag. NaN altitude or ground = unknown (conservative)."""
        lon_a, lat_a = _lon_lat(lon, lat)
        alt = _column(alt_amsl_m, lon_a.size, "alt_amsl_m")
        ground = (
            np.full(lon_a.size, np.nan)
            if ground_amsl_m is None
            else _column(ground_amsl_m, lon_a.size, "ground_amsl_m")
        )
        frames = _PointFrames(*_unknown_as_unbounded(alt), *_unknown_as_unbounded(alt - ground))

        def ask_index(points: NDArray[np.intp]) -> PointHits:
            hits = self._pairs(lon_a[points], lat_a[points], frames.take(points), at)
            return PointHits(hits.point_idx, hits.volume_idx, hits.uncertain)

        known = self._memo.query(np.column_stack([lon_a, lat_a, alt, ground]), at, ask_index)
        return BulkHits(known.point_idx, self._vol_zone[known.volume_idx], known.volume_idx, known.uncertain)

    def bulk_hits(
        self,
        lon: ArrayLike,
        lat: ArrayLike,
        alt_amsl_m: ArrayLike,
        *,
        ground_amsl_m: ArrayLike | None = None,
        at: datetime | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(point index, zone index) of every point inside a zone's volume; one pair per zone."""
        hits = self.bulk_hits_detailed(lon, lat, alt_amsl_m, ground_amsl_m=ground_amsl_m, at=at)
        if hits.point_idx.size == 0 or self._single_volume:
            return hits.point_idx, hits.zone_idx
        pairs = np.unique(np.column_stack([hits.point_idx, hits.zone_idx]), axis=0)
        return pairs[:, 0], pairs[:, 1]

    def at_point(
        self,
        lon: float,
        lat: float,
        alt_m: float,
        ref: VerticalRef,
        *,
        at: datetime | None = None,
        ground_amsl_m: float | None = None,
    ) -> list[ZoneHit]:
        """Zones whose volume contains the point; ``uncertain`` hits could not be confirmed."""
        lon_a, lat_a = _lon_lat([lon], [lat])
        if ground_amsl_m is not None and not math.isfinite(ground_amsl_m):
            ground_amsl_m = None
        height = Height(alt_m, ref)
        amsl = amsl_interval(height, lon, lat, ground_amsl_m=ground_amsl_m, envelope=self.std_envelope)
        agl = agl_interval(height, lon, lat, ground_amsl_m=ground_amsl_m, envelope=self.std_envelope)
        if math.isnan(alt_m):
            amsl = agl = amsl.unknown("altitude unknown")
        frames = _PointFrames(
            np.array([amsl.low_m]), np.array([amsl.high_m]), np.array([agl.low_m]), np.array([agl.high_m])
        )
        hits = self._pairs(lon_a, lat_a, frames, at)
        by_zone: dict[int, list[int]] = {}
        uncertain_zone: dict[int, bool] = {}
        for zi, vi, unc in zip(
            hits.zone_idx.tolist(), hits.volume_idx.tolist(), hits.uncertain.tolist(), strict=True
        ):
            by_zone.setdefault(zi, []).append(int(self._vol_local[vi]))
            uncertain_zone[zi] = uncertain_zone.get(zi, True) and bool(unc)
        out: list[ZoneHit] = []
        for zi, volumes in by_zone.items():
            zone = self._zones[zi]
            notes = _uncertainty_notes(zone, volumes, ref, ground_amsl_m) if uncertain_zone[zi] else ()
            out.append(ZoneHit(zone, zi, tuple(volumes), uncertain_zone[zi], notes))
        return out

    def along_path(
        self,
        lon: ArrayLike,
        lat: ArrayLike,
        alt_amsl_m: ArrayLike,
        *,
        ground_amsl_m_fn: GroundFn | None = None,
        ground_amsl_m: ArrayLike | None = None,
        spacing_m: float = 25.0,
        at: datetime | None = None,
    ) -> list[PathHit]:
        """Zones the 3D polyline enters; each leg is sampled every ``spacing_m`` (ends included).

        Positions are interpolated linearly in lon/lat and altitude linearly along the leg (legs of
        a drone mission are short enough that the geodesic differs by centimetres). Terrain, when
        ``ground_amsl_m_fn(lon, lat)`` is given, is sampled at every sample; NaN from it means
        unknown terrain there. ``ground_amsl_m`` (one value per vertex, already sampled by the caller)
        is interpolated along each leg instead: only as good as the vertex spacing. Neither: terrain
        unknown, AGL bands are answered conservatively and flagged uncertain.
        """
        if ground_amsl_m_fn is not None and ground_amsl_m is not None:
            raise ValueError("give ground_amsl_m_fn or ground_amsl_m, not both")
        if not (math.isfinite(spacing_m) and spacing_m > 0):
            raise ValueError(f"spacing_m must be a positive number, got {spacing_m!r}")
        lon_v, lat_v = _lon_lat(lon, lat)
        alt_v = _column(alt_amsl_m, lon_v.size, "alt_amsl_m")
        if lon_v.size < 2:
            raise ValueError("a path needs at least two vertices")
        _, _, leg_len = WGS84_GEOD.inv(lon_v[:-1], lat_v[:-1], lon_v[1:], lat_v[1:])
        leg_len = np.asarray(leg_len, dtype=np.float64)
        n_per_leg = np.maximum(np.ceil(leg_len / spacing_m).astype(np.int64), 1) + 1
        if int(n_per_leg.sum()) > 5_000_000:
            raise ValueError(f"{int(n_per_leg.sum())} samples: path too long for spacing {spacing_m} m")
        leg_of = np.repeat(np.arange(leg_len.size), n_per_leg)
        starts = np.cumsum(n_per_leg) - n_per_leg
        k = np.arange(leg_of.size) - starts[leg_of]
        frac = k / (n_per_leg[leg_of] - 1)
        s_lon = _along_legs(lon_v, leg_of, frac)
        s_lat = _along_legs(lat_v, leg_of, frac)
        s_alt = _along_legs(alt_v, leg_of, frac)
        ground: NDArray[np.float64] | None = None
        if ground_amsl_m_fn is not None:
            ground = _column(ground_amsl_m_fn(s_lon, s_lat), s_lon.size, "ground_amsl_m_fn result")
        elif ground_amsl_m is not None:
            g_v = _column(ground_amsl_m, lon_v.size, "ground_amsl_m")
            ground = _along_legs(g_v, leg_of, frac)
        hits = self.bulk_hits_detailed(s_lon, s_lat, s_alt, ground_amsl_m=ground, at=at)
        first: dict[tuple[int, int], int] = {}
        uncertain: dict[tuple[int, int], bool] = {}
        for sample, zi, unc in zip(
            hits.point_idx.tolist(), hits.zone_idx.tolist(), hits.uncertain.tolist(), strict=True
        ):
            key = (int(leg_of[sample]), zi)
            if key not in first:
                first[key] = sample
                uncertain[key] = bool(unc)
            elif first[key] == sample:
                uncertain[key] = uncertain[key] and bool(unc)
        out = [
            PathHit(
                leg_index=leg,
                zone=self._zones[zi],
                zone_index=zi,
                lon=float(s_lon[s]),
                lat=float(s_lat[s]),
                alt_amsl_m=float(s_alt[s]),
                distance_along_leg_m=float(frac[s] * leg_len[leg]),
                uncertain=uncertain[(leg, zi)],
            )
            for (leg, zi), s in first.items()
        ]
        out.sort(key=lambda h: (h.leg_index, h.distance_along_leg_m, h.zone_index))
        return out

    def in_area(self, polygon: BaseGeometry, *, at: datetime | None = None) -> list[Zone]:
        """Zones any of whose footprints intersect ``polygon`` (lon/lat), in index order."""
        if polygon.is_empty:
            return []
        v = self._tree.query(polygon, predicate="intersects")
        zone_ids = sorted(set(self._vol_zone[v].tolist()))
        active = self._active_zones(at)
        return [self._zones[z] for z in zone_ids if active is None or active[z]]


@dataclass(frozen=True)
class _CandidateGrid:
    """Uniform lon/lat grid listing, per cell, the volumes whose bounding box touches it.

    Bulk candidate search without building a shapely Point per input point: the cell lists are
    computed once with the STRtree (cell boxes queried against the volumes), then each point's
    candidates come from plain numpy gathers and an exact bounding-box test. Volumes spanning more
    than ``MAX_CELLS_PER_VOLUME`` cells are checked separately by bounding box; with more than
    ``MAX_BIG_VOLUMES`` of those the index falls back to querying the STRtree with points.
    """

    x0: float
    y0: float
    cell_deg: float
    nx: int
    ny: int
    cell_start: NDArray[np.int64]
    cell_count: NDArray[np.int64]
    cell_volumes: NDArray[np.int64]
    big_volumes: NDArray[np.int64]
    usable: bool

    MAX_CELLS = 250_000
    MAX_CELLS_PER_VOLUME = 256
    MAX_BIG_VOLUMES = 64

    @staticmethod
    def build(tree: STRtree, bounds: NDArray[np.float64]) -> _CandidateGrid:
        empty = np.empty(0, dtype=np.int64)
        if bounds.shape[0] == 0:
            return _CandidateGrid(
                0, 0, 1, 1, 1, np.zeros(1, np.int64), np.zeros(1, np.int64), empty, empty, True
            )
        x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        extent = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        cell = max(float(np.median(extent)) * 1.5, 1e-4)
        while (
            math.ceil((x1 - x0) / cell + 1e-9) * math.ceil((y1 - y0) / cell + 1e-9) > _CandidateGrid.MAX_CELLS
        ):
            cell *= 1.5
        nx = max(1, math.ceil((x1 - x0) / cell + 1e-9))
        ny = max(1, math.ceil((y1 - y0) / cell + 1e-9))
        spans = np.ceil((bounds[:, 2] - bounds[:, 0]) / cell + 1) * np.ceil(
            (bounds[:, 3] - bounds[:, 1]) / cell + 1
        )
        big = np.flatnonzero(spans > _CandidateGrid.MAX_CELLS_PER_VOLUME)
        mesh_x, mesh_y = np.meshgrid(np.arange(nx), np.arange(ny))
        gx, gy = mesh_x.ravel(), mesh_y.ravel()
        boxes = shapely.box(x0 + gx * cell, y0 + gy * cell, x0 + (gx + 1) * cell, y0 + (gy + 1) * cell)
        cell_idx, vol_idx = tree.query(boxes)
        keep = ~np.isin(vol_idx, big)
        cell_idx, vol_idx = cell_idx[keep], vol_idx[keep]
        cell_id = gx[cell_idx] + gy[cell_idx] * nx
        order = np.lexsort((vol_idx, cell_id))
        cell_id, vol_idx = cell_id[order], vol_idx[order]
        count = np.bincount(cell_id, minlength=nx * ny).astype(np.int64)
        start = np.cumsum(count) - count
        usable = big.size <= _CandidateGrid.MAX_BIG_VOLUMES
        return _CandidateGrid(x0, y0, cell, nx, ny, start, count, vol_idx.astype(np.int64), big, usable)

    def candidates(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64], bounds: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64] | None, NDArray[np.int64] | None]:
        """(point, volume) pairs whose bounding boxes contain the point, sorted by point."""
        if not self.usable:
            return None, None
        fx = (lon - self.x0) / self.cell_deg
        fy = (lat - self.y0) / self.cell_deg
        inside = (fx >= 0) & (fx <= self.nx) & (fy >= 0) & (fy <= self.ny)  # the far edges belong too
        ix = np.clip(np.floor(fx), 0, self.nx - 1).astype(np.int64)
        iy = np.clip(np.floor(fy), 0, self.ny - 1).astype(np.int64)
        cell = np.where(inside, ix + iy * self.nx, 0)
        counts = np.where(inside, self.cell_count[cell], 0)
        total = int(counts.sum())
        p = np.repeat(np.arange(lon.size, dtype=np.int64), counts)
        first = np.cumsum(counts) - counts
        offset = np.arange(total, dtype=np.int64) - np.repeat(first, counts)
        v = self.cell_volumes[np.repeat(self.cell_start[cell], counts) + offset]
        if self.big_volumes.size:
            extra_p, extra_v = [], []
            for b in self.big_volumes.tolist():
                hit = np.flatnonzero(
                    (lon >= bounds[b, 0])
                    & (lon <= bounds[b, 2])
                    & (lat >= bounds[b, 1])
                    & (lat <= bounds[b, 3])
                )
                extra_p.append(hit)
                extra_v.append(np.full(hit.size, b, dtype=np.int64))
            p = np.concatenate([p, *extra_p])
            v = np.concatenate([v, *extra_v])
            order = np.argsort(p, kind="stable")
            p, v = p[order], v[order]
        bb = bounds[v]
        lon_p, lat_p = lon[p], lat[p]
        keep = (lon_p >= bb[:, 0]) & (lon_p <= bb[:, 2]) & (lat_p >= bb[:, 1]) & (lat_p <= bb[:, 3])
        return p[keep], v[keep]


def _lon_lat(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if lon_a.ndim != 1 or lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat must be 1-D arrays of one length, got {lon_a.shape} and {lat_a.shape}")
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"point {i}: lon {lon_a[i]!r}, lat {lat_a[i]!r} is not a valid WGS84 position")
    return lon_a, lat_a


def _unknown_as_unbounded(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(low, high) per point: an unknown (NaN) value may be anywhere, so it must match every band."""
    unknown = np.isnan(values)
    return np.where(unknown, -np.inf, values), np.where(unknown, np.inf, values)


def _along_legs(
    vertex_values: NDArray[np.float64], leg_of: NDArray[np.int64], frac: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Linear interpolation of a per-vertex value at samples given by leg and fraction along it."""
    start = vertex_values[leg_of]
    return np.asarray(start + (vertex_values[leg_of + 1] - start) * frac, dtype=np.float64)


def _column(values: ArrayLike, n: int, name: str) -> NDArray[np.float64]:
    arr = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per point ({n}), got shape {arr.shape}")
    return arr


def _uncertainty_notes(
    zone: Zone, volumes: list[int], ref: VerticalRef, ground_amsl_m: float | None
) -> tuple[str, ...]:
    notes: list[str] = []
    terrain_unknown = ground_amsl_m is None
    for vi in volumes:
        volume = zone.volumes[vi]
        for limit in (volume.lower, volume.upper):
            from_ground = limit is volume.lower and limit.ref is VerticalRef.AGL and limit.value_m <= 0
            if (
                terrain_unknown
                and not from_ground
                and (limit.ref is VerticalRef.AGL) != (ref is VerticalRef.AGL)
            ):
                notes.append(f"terrain unknown: {limit.text} and the {ref.value} altitude cannot be compared")
            if limit.ref is VerticalRef.STD:
                notes.append(f"{limit.text} converted with the ISA envelope: within its margin")
            if limit.ref is VerticalRef.WGS84:
                notes.append(f"{limit.text}: ellipsoid height near the limit")
    return tuple(dict.fromkeys(notes)) or ("altitude not known exactly",)
