"""Bulk point-in-zone throughput: ZoneIndex.bulk_hits (with altitude bands) vs geopandas.sjoin (2D only).

Run: ``.venv/bin/python -m bench.bench_zones [--zones 10000] [--points 200000] [--seed 7] [--repeat 3]``

Seeded generator, distributions (design contract 12):

* area: lon 12.0-19.0 E, lat 48.5-51.1 N (Czechia-sized, ~500 x 290 km); zone centres uniform in it;
* shape: 30 % circles (ED-269 Circle, densified to 1 m), 70 % star-shaped polygons;
* radius: log-normal, median 1.5 km, sigma 0.9, clipped to 0.1-25 km;
* vertices per polygon: 85 % uniform 4-40, 12 % uniform 40-400, 3 % uniform 400-4000;
* radial jitter of polygon vertices: uniform 0.6-1.0 of the radius (concave, realistic outlines);
* band: 55 % GND-120 m AGL, 15 % GND-FL 95, 15 % a-b m AMSL (a 300-1500, b a+200..a+3000),
  10 % FL 95-FL 195, 5 % 50-150 m AGL; 10 % of zones have a time window (ignored, at=None);
* points: uniform in the area, 30 % of them clustered within 3 km of 200 "hot spots" (towns) so
  that overlap is realistic; ground = a smooth synthetic terrain 150-1400 m; altitude = ground +
  uniform 0-400 m AGL for 80 % of points and uniform 0-6000 m AMSL for 20 %.

Both sides get the same points and polygons; sjoin runs on prebuilt GeoDataFrames (its input is
not timed), bulk_hits on raw numpy arrays (building the points is timed). The report prints points/s
for both and the ratio, plus how many pairs each found (sjoin ignores altitude, so it finds more).

Like for like (issue 9): the old first-run ratio left out ZoneIndex's build but included sjoin's
(its spatial index is built lazily inside the first sjoin). The honest first-run figure times the
build on both sides: ZoneIndex construction + first bulk_hits vs fresh GeoDataFrames + first sjoin. The
honest steady-state baseline does the same work as bulk_hits: sjoin followed by a vectorised altitude
band filter (AGL on the points' ground, AMSL as is, flight levels at ISA), which is what a competent
geopandas user would add. Both ratios print beside the old ones. geopandas is the optional ``bench``
extra (``pip install -e .[bench]``) and is imported only here.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon

from geodata.atmosphere import flight_level_to_pressure_altitude_m
from geodata.vertical import VerticalRef
from geodata.zones.geometry import circle_polygon
from geodata.zones.index import ZoneIndex
from geodata.zones.model import (
    AltitudeLimit,
    Applicability,
    Circle,
    Restriction,
    TimeWindow,
    Zone,
    ZoneVolume,
)

LON0, LON1, LAT0, LAT1 = 12.0, 19.0, 48.5, 51.1
M_PER_DEG_LAT = 111_320.0


@dataclass(frozen=True)
class Scenario:
    zones: list[Zone]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    alt_amsl_m: NDArray[np.float64]
    ground_amsl_m: NDArray[np.float64]


def terrain(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Smooth synthetic ground, 150-1400 m: mountains in the south-east, lowland in the north."""
    base = 150 + 600 * (LAT1 - lat) / (LAT1 - LAT0)
    ridges = 325 * (1 + np.sin(lon * 3.1) * np.cos(lat * 4.7))
    result: NDArray[np.float64] = np.clip(base + ridges, 150, 1400)
    return result


def _band(rng: np.random.Generator) -> tuple[AltitudeLimit, AltitudeLimit]:
    u = rng.random()
    fl = flight_level_to_pressure_altitude_m
    if u < 0.55:
        return AltitudeLimit(0, VerticalRef.AGL, "GND"), AltitudeLimit(120, VerticalRef.AGL, "120 m AGL")
    if u < 0.70:
        return AltitudeLimit(0, VerticalRef.AGL, "GND"), AltitudeLimit(fl(95), VerticalRef.STD, "FL 95")
    if u < 0.85:
        a = rng.uniform(300, 1500)
        b = a + rng.uniform(200, 3000)
        return AltitudeLimit(a, VerticalRef.AMSL, f"{a:.0f} m"), AltitudeLimit(
            b, VerticalRef.AMSL, f"{b:.0f} m"
        )
    if u < 0.95:
        return AltitudeLimit(fl(95), VerticalRef.STD, "FL 95"), AltitudeLimit(
            fl(195), VerticalRef.STD, "FL 195"
        )
    return AltitudeLimit(50, VerticalRef.AGL, "50 m AGL"), AltitudeLimit(150, VerticalRef.AGL, "150 m AGL")


def _star(rng: np.random.Generator, lon: float, lat: float, radius_m: float) -> Polygon:
    u = rng.random()
    n = int(
        rng.integers(4, 41) if u < 0.85 else rng.integers(40, 401) if u < 0.97 else rng.integers(400, 4001)
    )
    angles = np.sort(rng.uniform(0, 2 * math.pi, n))
    r = radius_m * rng.uniform(0.6, 1.0, n)
    dlat = r * np.sin(angles) / M_PER_DEG_LAT
    dlon = r * np.cos(angles) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    poly = Polygon(np.column_stack([lon + dlon, lat + dlat]))
    return poly if poly.is_valid else shapely.make_valid(poly).convex_hull


def generate(n_zones: int, n_points: int, seed: int) -> Scenario:
    rng = np.random.default_rng(seed)
    zones: list[Zone] = []
    for i in range(n_zones):
        c_lon = rng.uniform(LON0, LON1)
        c_lat = rng.uniform(LAT0, LAT1)
        radius = float(np.clip(rng.lognormal(math.log(1500), 0.9), 100, 25_000))
        lower, upper = _band(rng)
        if rng.random() < 0.3:
            footprint: Polygon = circle_polygon(c_lon, c_lat, radius)
            circle: Circle | None = Circle(c_lon, c_lat, radius)
        else:
            footprint = _star(rng, c_lon, c_lat, radius)
            circle = None
        applicability = Applicability()
        if rng.random() < 0.1:
            applicability = Applicability((TimeWindow(daily=()),))
        zones.append(
            Zone(
                identifier=f"BENCH-{i}",
                country="CZE",
                name=f"bench zone {i}",
                restriction=Restriction.REQ_AUTHORISATION,
                reasons=("OTHER",),
                volumes=(ZoneVolume(footprint, lower, upper, circle),),
                applicability=applicability,
                uid=f"bench-{i}",
            )
        )
    n_hot = int(n_points * 0.3)
    hot_lon = rng.uniform(LON0, LON1, 200)
    hot_lat = rng.uniform(LAT0, LAT1, 200)
    pick = rng.integers(0, 200, n_hot)
    r = rng.uniform(0, 3000, n_hot)
    a = rng.uniform(0, 2 * math.pi, n_hot)
    lon_hot = hot_lon[pick] + r * np.cos(a) / (M_PER_DEG_LAT * np.cos(np.radians(hot_lat[pick])))
    lat_hot = hot_lat[pick] + r * np.sin(a) / M_PER_DEG_LAT
    lon = np.concatenate([rng.uniform(LON0, LON1, n_points - n_hot), lon_hot])
    lat = np.concatenate([rng.uniform(LAT0, LAT1, n_points - n_hot), lat_hot])
    ground = terrain(lon, lat)
    low_flyer = rng.random(n_points) < 0.8
    alt = np.where(low_flyer, ground + rng.uniform(0, 400, n_points), rng.uniform(0, 6000, n_points))
    return Scenario(zones, lon, lat, alt, ground)


def _best(fn: object, repeat: int) -> tuple[float, float, object]:
    """(best, first) wall time over ``repeat`` runs; the first includes lazy index/prepare work."""
    times: list[float] = []
    out: object = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times), times[0], out


def band_arrays(zones: list[Zone]) -> tuple[NDArray[np.float64], ...]:
    """Per zone: lower/upper value in metres and whether each is above ground (else AMSL/ISA)."""
    lower = np.array([z.volumes[0].lower.value_m for z in zones])
    upper = np.array([z.volumes[0].upper.value_m for z in zones])
    lower_agl = np.array([z.volumes[0].lower.ref is VerticalRef.AGL for z in zones], dtype=float)
    upper_agl = np.array([z.volumes[0].upper.ref is VerticalRef.AGL for z in zones], dtype=float)
    return lower, upper, lower_agl, upper_agl


def sjoin_with_bands(gpd: object, points: object, polygons: object, sc: Scenario, bands: tuple) -> int:  # type: ignore[type-arg]
    """sjoin, then keep the pairs whose altitude lies inside the zone's band (the same work as bulk_hits)."""
    joined = gpd.sjoin(points, polygons, how="inner", predicate="intersects")  # type: ignore[attr-defined]
    point_idx = joined.index.to_numpy()
    zone_idx = joined["zone"].to_numpy()
    lower, upper, lower_agl, upper_agl = bands
    ground = sc.ground_amsl_m[point_idx]
    alt = sc.alt_amsl_m[point_idx]
    low = lower[zone_idx] + ground * lower_agl[zone_idx]
    high = upper[zone_idx] + ground * upper_agl[zone_idx]
    return int(np.count_nonzero((alt >= low) & (alt <= high)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        import geopandas as gpd
    except ImportError:
        raise SystemExit("bench_zones compares with geopandas: pip install -e '.[bench]'") from None

    t0 = time.perf_counter()
    sc = generate(args.zones, args.points, args.seed)
    t_gen = time.perf_counter() - t0
    n_vertices = sum(len(z.volumes[0].footprint.exterior.coords) for z in sc.zones)

    t0 = time.perf_counter()
    index = ZoneIndex(sc.zones)
    t_index = time.perf_counter() - t0

    polygons = gpd.GeoDataFrame(
        {"zone": np.arange(len(sc.zones))},
        geometry=[z.volumes[0].footprint for z in sc.zones],
        crs="EPSG:4326",
    )
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(sc.lon, sc.lat), crs="EPSG:4326")

    t_ours, first_ours, hits = _best(
        lambda: index.bulk_hits(sc.lon, sc.lat, sc.alt_amsl_m, ground_amsl_m=sc.ground_amsl_m), args.repeat
    )
    t_sjoin, first_sjoin, joined = _best(
        lambda: gpd.sjoin(points, polygons, how="inner", predicate="intersects"), args.repeat
    )
    n = args.points
    ours_pairs = len(hits[0])  # type: ignore[index]
    sjoin_pairs = len(joined)  # type: ignore[arg-type]
    print(f"scenario: {args.zones} zones ({n_vertices} vertices), {n} points, seed {args.seed}")
    print(f"  generate {t_gen:.1f} s, build ZoneIndex {t_index:.2f} s")
    for label, seconds, first, pairs in (
        ("ZoneIndex.bulk_hits (3D bands)", t_ours, first_ours, ours_pairs),
        ("geopandas.sjoin     (2D only) ", t_sjoin, first_sjoin, sjoin_pairs),
    ):
        rate = n / seconds
        print(f"  {label}: {seconds:7.3f} s {rate:12,.0f} points/s {pairs} pairs (first run {first:.3f} s)")
    ratio_best = t_sjoin / t_ours
    ratio_first = first_sjoin / first_ours
    print(f"  ratio bulk_hits / sjoin throughput: {ratio_best:.2f}x best, {ratio_first:.2f}x first run")
    print("  (target >= 2x; sjoin ignores altitude, bulk_hits checks every band in its own frame)")

    # like for like: the same work (bands on both sides), builds timed on both sides for the first run
    bands = band_arrays(sc.zones)
    t_banded, _, banded_pairs = _best(lambda: sjoin_with_bands(gpd, points, polygons, sc, bands), args.repeat)

    def fresh_sjoin_first_run() -> int:
        fresh_polygons = gpd.GeoDataFrame(
            {"zone": np.arange(len(sc.zones))},
            geometry=[z.volumes[0].footprint for z in sc.zones],
            crs="EPSG:4326",
        )
        fresh_points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(sc.lon, sc.lat), crs="EPSG:4326")
        return sjoin_with_bands(gpd, fresh_points, fresh_polygons, sc, bands)

    def fresh_index_first_run() -> object:
        return ZoneIndex(sc.zones).bulk_hits(sc.lon, sc.lat, sc.alt_amsl_m, ground_amsl_m=sc.ground_amsl_m)

    t0 = time.perf_counter()
    fresh_sjoin_first_run()
    first_banded_with_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    fresh_index_first_run()
    first_ours_with_build = time.perf_counter() - t0
    print(
        f"  sjoin + band filter (3D, same work): {t_banded:7.3f} s {n / t_banded:12,.0f} points/s "
        f"{banded_pairs} pairs (bulk_hits: {ours_pairs})"
    )
    print(
        f"  honest ratio, best of {args.repeat}, same work:      {t_banded / t_ours:.2f}x "
        f"(old, 2D sjoin: {ratio_best:.2f}x)"
    )
    print(
        f"  honest ratio, first run with builds on both sides: "
        f"{first_banded_with_build / first_ours_with_build:.2f}x "
        f"({first_banded_with_build:.2f} s vs {first_ours_with_build:.2f} s; old: {ratio_first:.2f}x)"
    )


if __name__ == "__main__":
    main()
