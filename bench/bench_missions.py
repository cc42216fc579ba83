"""Mission validation benchmark: a 1,000-item terrain-following survey against the region's zones and
against 10,000 seeded synthetic zones, versus a naive per-leg, per-zone shapely loop in the same run.

Run: ``.venv/bin/python -m bench.bench_missions [--zones 10000] [--repeat 5] [--naive-legs 40]``

Synthetic zone generator (seed 20260701), stated so figures compare between runs:
- centres uniform over the region box lon 16.8-17.8, lat 50.0-50.7;
- radius log-normal, median 300 m, sigma 0.8, clipped to 50-5,000 m; vertex count uniform 8-64, each vertex's
  radius jittered uniformly by +-30 % (irregular, mostly convex polygons; overlaps happen freely);
- restriction: 20 % PROHIBITED, 30 % REQ_AUTHORISATION, 40 % CONDITIONAL, 10 % NO_RESTRICTION;
- band: lower limit GND (70 %) or 30-150 m AGL; upper 60-300 m AGL (60 %) or 600-1,500 m AMSL (40 %);
- 20 % have a one-day time window in July 2026, the rest are permanent.

The naive baseline checks every leg against every zone with shapely's scalar ``intersects`` and then samples
the leg to test the altitude band; it is timed on the first ``--naive-legs`` legs and scaled linearly to all
legs (its cost is linear in legs by construction), and the scaling is printed.

Like for like (issue 9): that naive loop is timed once, on 40 legs, without prepared geometry, and
extrapolated, while the indexed code gets the median of 5 runs with its index built untimed. The honest
comparison runs the zone check only on both sides, over every leg, median of ``--repeat`` runs, with the
index built inside the timed region on both sides:
- ours: ``ZoneIndex(zones)`` + ``validate`` with only the zones rule;
- baseline (what a competent shapely user writes): sample the legs once, sample the terrain once, build a
  ``shapely.STRtree`` of the footprints of the zones active at the planned time (queries with a predicate
  use prepared geometries), one bulk ``tree.query(points, predicate="intersects")``, then a vectorised
  altitude-band filter (AGL on the sampled ground, AMSL/WGS84/flight levels taken as AMSL metres).
Both ratios are printed, with the hits each side found.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box

from geodata.atlas import load_region
from geodata.terrain import DemTerrain
from geodata.vertical import VerticalRef
from geodata.zones.index import ZoneIndex
from geodata.zones.model import (
    PERMANENT,
    AltitudeLimit,
    Applicability,
    Restriction,
    TimeWindow,
    Zone,
    ZoneVolume,
)
from missions.model import HomePosition, Mission
from missions.path import build_vertices, leg_lengths_m, sample_legs
from missions.patterns import Altitude, build_mission, survey_grid, terrain_follow
from missions.region import AdHocRegion
from missions.validate import RuleConfig, validate
from missions.validate.registry import DEFAULT_RULES
from missions.validate.report import RuleId

SEED = 20260701
REGION_BOX = (16.8, 50.0, 17.8, 50.7)
DEM = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dem" / "region_dem_srtm30plus_1500m.tif"
)
PLANNED = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def synthetic_zones(count: int, seed: int = SEED) -> list[Zone]:
    rng = np.random.default_rng(seed)
    restrictions = [
        Restriction.PROHIBITED,
        Restriction.REQ_AUTHORISATION,
        Restriction.CONDITIONAL,
        Restriction.NO_RESTRICTION,
    ]
    zones: list[Zone] = []
    for k in range(count):
        lon0 = rng.uniform(REGION_BOX[0], REGION_BOX[2])
        lat0 = rng.uniform(REGION_BOX[1], REGION_BOX[3])
        radius = float(np.clip(rng.lognormal(math.log(300.0), 0.8), 50.0, 5000.0))
        n = int(rng.integers(8, 65))
        angles = np.sort(rng.uniform(0, 2 * math.pi, n))
        radii = radius * rng.uniform(0.7, 1.3, n)
        dlon = radii * np.cos(angles) / (111_320.0 * math.cos(math.radians(lat0)))
        dlat = radii * np.sin(angles) / 110_540.0
        footprint = Polygon(np.column_stack([lon0 + dlon, lat0 + dlat]))
        if not footprint.is_valid:
            footprint = footprint.convex_hull
        restriction = restrictions[int(rng.choice(4, p=[0.2, 0.3, 0.4, 0.1]))]
        lower = (
            AltitudeLimit(0.0, VerticalRef.AGL, "GND")
            if rng.random() < 0.7
            else AltitudeLimit(float(rng.uniform(30, 150)), VerticalRef.AGL, "AGL")
        )
        upper = (
            AltitudeLimit(float(rng.uniform(60, 300)), VerticalRef.AGL, "AGL")
            if rng.random() < 0.6
            else AltitudeLimit(float(rng.uniform(600, 1500)), VerticalRef.AMSL, "AMSL")
        )
        applicability = PERMANENT
        if rng.random() < 0.2:
            day = datetime(2026, 7, 1, tzinfo=UTC) + timedelta(days=int(rng.integers(0, 31)))
            applicability = Applicability(windows=(TimeWindow(start=day, end=day + timedelta(days=1)),))
        zones.append(
            Zone(
                identifier=f"SYN-{k:05d}",
                country="CZE",
                name=f"synthetic {k}",
                restriction=restriction,
                reasons=("OTHER",),
                volumes=(ZoneVolume(footprint=footprint, lower=lower, upper=upper),),
                applicability=applicability,
                uid=f"SYN-{k:05d}@bench",
            )
        )
    return zones


def survey_mission(terrain: DemTerrain, target_items: int = 1000) -> Mission:
    """A terrain-following survey south of Głuchołazy with about ``target_items`` items."""
    area = box(17.30, 50.22, 17.40, 50.28)
    home = HomePosition(lon=17.30, lat=50.22)
    spacing = 120.0
    mission = build_mission(survey_grid(area, Altitude(80.0), spacing_m=spacing, angle_deg=0.0), home)
    for _ in range(12):
        followed = terrain_follow(mission, terrain, tolerance_m=10.0)
        if abs(len(followed.items) - target_items) <= target_items * 0.05:
            return followed
        spacing *= len(followed.items) / target_items
        mission = build_mission(survey_grid(area, Altitude(80.0), spacing_m=spacing, angle_deg=0.0), home)
    return followed


def naive_zone_check(
    mission: Mission, terrain: DemTerrain, zones: Sequence[Zone], legs: int, spacing_m: float
) -> int:
    """Per leg, per zone: shapely intersects, then sample the leg for the band. Returns hits found."""
    vertices = build_vertices(mission, terrain)
    hits = 0
    for leg in range(min(legs, vertices.leg_count)):
        a, b = leg, leg + 1
        line = LineString([(vertices.lon[a], vertices.lat[a]), (vertices.lon[b], vertices.lat[b])])
        for zone in zones:
            for volume in zone.volumes:
                if not line.intersects(volume.footprint):
                    continue
                n = max(2, int(line.length * 111_000 / spacing_m) + 1)
                t = np.linspace(0, 1, n)
                lon = vertices.lon[a] + t * (vertices.lon[b] - vertices.lon[a])
                lat = vertices.lat[a] + t * (vertices.lat[b] - vertices.lat[a])
                alt = vertices.alt_amsl_m[a] + t * (vertices.alt_amsl_m[b] - vertices.alt_amsl_m[a])
                ground = terrain.sample(lon, lat).elevation_amsl_m
                inside = shapely.intersects_xy(volume.footprint, lon, lat)

                def level(limit: AltitudeLimit, g: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
                    return (
                        g + limit.value_m if limit.ref is VerticalRef.AGL else np.full_like(g, limit.value_m)
                    )

                band = (alt >= level(volume.lower, ground)) & (alt <= level(volume.upper, ground))
                if bool((inside & band).any()):
                    hits += 1
    return hits


def competent_zone_check(
    mission: Mission, terrain: DemTerrain, zones: Sequence[Zone], spacing_m: float, at: datetime
) -> int:
    """STRtree + one bulk point query + vectorised band filter; returns the (sample, zone) hits."""
    vertices = build_vertices(mission, terrain)
    samples = sample_legs(vertices, spacing_m)
    ground = np.asarray(terrain.sample(samples.lon, samples.lat).elevation_amsl_m, dtype=float)
    volumes = [v for z in zones if z.applicability.is_active(at) for v in z.volumes]
    tree = shapely.STRtree([v.footprint for v in volumes])
    point_idx, volume_idx = tree.query(shapely.points(samples.lon, samples.lat), predicate="intersects")
    lower = np.array([v.lower.value_m for v in volumes])
    upper = np.array([v.upper.value_m for v in volumes])
    lower_agl = np.array([v.lower.ref is VerticalRef.AGL for v in volumes], dtype=float)
    upper_agl = np.array([v.upper.ref is VerticalRef.AGL for v in volumes], dtype=float)
    g = ground[point_idx]
    alt = samples.alt_amsl_m[point_idx]
    low = lower[volume_idx] + np.nan_to_num(g) * lower_agl[volume_idx]
    high = upper[volume_idx] + np.nan_to_num(g) * upper_agl[volume_idx]
    hit = (alt >= low) & (alt <= high)
    return int(np.count_nonzero(hit))


def index_pairs(
    mission: Mission, terrain: DemTerrain, index: ZoneIndex, spacing_m: float, at: datetime
) -> int:
    """(sample, zone) hits of ZoneIndex.bulk_hits on the same samples: the agreement check (untimed)."""
    vertices = build_vertices(mission, terrain)
    samples = sample_legs(vertices, spacing_m)
    ground = np.asarray(terrain.sample(samples.lon, samples.lat).elevation_amsl_m, dtype=float)
    point_idx, _ = index.bulk_hits(samples.lon, samples.lat, samples.alt_amsl_m, ground_amsl_m=ground, at=at)
    return len(point_idx)


def _time(fn: object, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-legs", type=int, default=40)
    args = parser.parse_args(argv)

    if not DEM.is_file():
        print(f"shared DEM not found at {DEM}; the benchmark needs the region DEM", file=sys.stderr)
        return 2
    region = load_region(dem_paths=[DEM])
    terrain = region.terrain
    assert isinstance(terrain, DemTerrain)
    mission = survey_mission(terrain).model_copy(update={"planned_start": PLANNED})
    vertices = build_vertices(mission, terrain)
    length_km = float(np.nansum(leg_lengths_m(vertices)[0])) / 1000.0
    print(
        f"mission: {len(mission.items)} items, {vertices.leg_count} legs, {length_km:.0f} km over {terrain!r}"
    )
    config = RuleConfig()

    synthetic = synthetic_zones(args.zones)
    all_zones = [*region.zone_list, *synthetic]
    t0 = time.perf_counter()
    big_index = ZoneIndex(all_zones)
    print(
        f"zone index over {len(all_zones)} zones built in {time.perf_counter() - t0:.2f} s (not timed below)"
    )
    region_only = AdHocRegion(zones=region.zones, border=region.border, terrain=terrain)
    with_synthetic = AdHocRegion(zones=big_index, border=region.border, terrain=terrain)

    report = validate(mission, with_synthetic, rules=config)
    print(
        f"violations: {len(report.violations)} ({len(report.errors)} errors) against {len(all_zones)} zones"
    )

    t_region = _time(lambda: validate(mission, region_only, rules=config), args.repeat)
    t_all = _time(lambda: validate(mission, with_synthetic, rules=config), args.repeat)
    print(f"validate, region zones ({len(region.zone_list)}): {t_region * 1000:8.1f} ms  (target < 250 ms)")
    print(f"validate, region + {args.zones} synthetic zones: {t_all * 1000:8.1f} ms  (target < 250 ms)")

    legs = build_vertices(mission, terrain).leg_count
    measured = min(args.naive_legs, legs)
    start = time.perf_counter()
    naive_zone_check(mission, terrain, all_zones, measured, config.sample_spacing_m)
    t_naive_part = time.perf_counter() - start
    t_naive = t_naive_part * legs / measured
    print(
        f"naive per-leg per-zone loop: {t_naive_part:.2f} s for {measured} of {legs} legs, "
        f"scaled to all legs: {t_naive:.1f} s"
    )
    print(
        f"speed-up of validate (all rules) over the naive zone check: {t_naive / t_all:.0f}x (target >= 20x)"
    )

    zones_only = [rule for rule in DEFAULT_RULES if rule.rule_id is RuleId.ZONES]

    def ours_zone_check() -> object:
        indexed = AdHocRegion(zones=ZoneIndex(all_zones), border=region.border, terrain=terrain)
        return validate(mission, indexed, rules=config, rule_set=zones_only)

    def baseline_zone_check() -> int:
        return competent_zone_check(mission, terrain, all_zones, config.sample_spacing_m, PLANNED)

    zone_violations = ours_zone_check()
    baseline_pairs = baseline_zone_check()
    ours_pairs = index_pairs(mission, terrain, big_index, config.sample_spacing_m, PLANNED)
    t_ours_zones = _time(ours_zone_check, args.repeat)
    t_baseline = _time(baseline_zone_check, args.repeat)
    print(
        f"like for like, zone check only, all {legs} legs, index built inside the timing on both sides, "
        f"median of {args.repeat}:"
    )
    print(
        f"  ZoneIndex + validate(zones rule): {t_ours_zones * 1000:8.1f} ms "
        f"({len(zone_violations.violations)} zone violations)"  # type: ignore[attr-defined]
    )
    print(
        f"  STRtree + bulk query + band filter: {t_baseline * 1000:8.1f} ms "
        f"({baseline_pairs} sample-zone hits; ZoneIndex.bulk_hits finds {ours_pairs})"
    )
    print(
        f"  honest ratio: {t_baseline / t_ours_zones:.2f}x (old: {t_naive / t_all:.0f}x, naive loop "
        "extrapolated from 40 legs vs untimed index)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
