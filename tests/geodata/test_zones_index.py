"""ZoneIndex queries on real zones: bands per frame, unknown terrain, time, bulk = scalar, paths, areas."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, box

from geodata.atmosphere import std_to_amsl_range_m
from geodata.geoid import geoid_undulation_m
from geodata.vertical import FEET_TO_M, VerticalRef
from geodata.zones.ed269 import load_ed269
from geodata.zones.geometry import WGS84_GEOD, circle_polygon
from geodata.zones.index import ZoneIndex
from geodata.zones.model import (
    AltitudeLimit,
    Applicability,
    DailyPeriod,
    Restriction,
    TimeWindow,
    Weekday,
    Zone,
    ZoneVolume,
)
from geodata.zones.openair import load_openair

MIKULOVICE = (17.2975, 50.301667)


@pytest.fixture(scope="module")
def airspace(shared_data: Path) -> ZoneIndex:
    return ZoneIndex(load_openair(shared_data / "airspace" / "cz_sua" / "CZ_low_plus_CE_26-04-01.txt").zones)


def names(hits: list) -> set[str]:  # type: ignore[type-arg]
    return {h.zone.name for h in hits}


def test_dropzone_band_with_known_terrain(airspace: ZoneIndex) -> None:
    lon, lat = MIKULOVICE
    hits = airspace.at_point(lon, lat, 100, VerticalRef.AGL, ground_amsl_m=290.0)
    dz = [h for h in hits if h.zone.name.startswith("DROPZONE Jesenik")]
    assert len(dz) == 1 and not dz[0].uncertain
    _, high = std_to_amsl_range_m(95 * 100 * FEET_TO_M)
    above = airspace.at_point(lon, lat, float(high) + 1, VerticalRef.AMSL, ground_amsl_m=290.0)
    assert not any(h.zone.name.startswith("DROPZONE Jesenik") for h in above)
    near_fl95 = airspace.at_point(lon, lat, 2800, VerticalRef.AMSL, ground_amsl_m=290.0)
    (dz_high,) = [h for h in near_fl95 if h.zone.name.startswith("DROPZONE Jesenik")]
    assert dz_high.uncertain and "ISA envelope" in dz_high.notes[0]
    # 4 km from the centre is outside the 2 NM circle
    far_lon, far_lat, _ = WGS84_GEOD.fwd(lon, lat, 90, 4000)
    assert not any(
        h.zone.name.startswith("DROPZONE Jesenik")
        for h in airspace.at_point(far_lon, far_lat, 100, VerticalRef.AGL, ground_amsl_m=290.0)
    )


def test_unknown_terrain_is_conservative_and_flagged(airspace: ZoneIndex) -> None:
    lon, lat = MIKULOVICE
    # 100 m AGL with no terrain: the FL 95 ceiling cannot be compared, but the zone is still reported
    hits = airspace.at_point(lon, lat, 100, VerticalRef.AGL)
    (dz,) = [h for h in hits if h.zone.name.startswith("DROPZONE Jesenik")]
    assert dz.uncertain
    assert any("terrain unknown" in n for n in dz.notes)
    # an AGL zone queried with an AMSL altitude and no terrain: hit, uncertain (never ground = 0)
    agl_zone = _zone(
        "AGL-ONLY",
        AltitudeLimit(50, VerticalRef.AGL, "50 m AGL"),
        AltitudeLimit(120, VerticalRef.AGL, "120 m AGL"),
    )
    index = ZoneIndex([agl_zone])
    unknown = index.at_point(17.3, 50.3, 1000, VerticalRef.AMSL)
    assert len(unknown) == 1 and unknown[0].uncertain
    assert index.at_point(17.3, 50.3, 1000, VerticalRef.AMSL, ground_amsl_m=300.0) == []
    assert not index.at_point(17.3, 50.3, 380, VerticalRef.AMSL, ground_amsl_m=300.0)[0].uncertain
    assert index.at_point(17.3, 50.3, 80, VerticalRef.AGL)[0].uncertain is False  # same frame: exact
    assert index.at_point(17.3, 50.3, 20, VerticalRef.AGL) == []
    # bulk: NaN ground gives an uncertain hit, known ground decides
    p, _ = index.bulk_hits([17.3, 17.3], [50.3, 50.3], [1000.0, 1000.0], ground_amsl_m=[np.nan, 300.0])
    assert p.tolist() == [0]
    detailed = index.bulk_hits_detailed([17.3], [50.3], [1000.0])
    assert detailed.uncertain.tolist() == [True]


def test_eptr63_band_in_amsl_and_flight_levels(airspace: ZoneIndex) -> None:
    eptr = next(z for z in airspace.zones if z.name == "TRA EPTR63")
    inside = eptr.volumes[0].footprint.representative_point()
    floor = 5500 * FEET_TO_M
    assert "TRA EPTR63" not in names(airspace.at_point(inside.x, inside.y, floor - 5, VerticalRef.AMSL))
    hit = [
        h
        for h in airspace.at_point(inside.x, inside.y, floor + 5, VerticalRef.AMSL)
        if h.zone.name == "TRA EPTR63"
    ]
    assert len(hit) == 1 and not hit[0].uncertain
    low, high = std_to_amsl_range_m(13500 * FEET_TO_M)
    assert "TRA EPTR63" in names(airspace.at_point(inside.x, inside.y, float(low) - 10, VerticalRef.AMSL))
    assert "TRA EPTR63" not in names(
        airspace.at_point(inside.x, inside.y, float(high) + 10, VerticalRef.AMSL)
    )
    # the same point expressed on the ellipsoid gives the same answer
    n = float(geoid_undulation_m(inside.x, inside.y))
    assert "TRA EPTR63" in names(airspace.at_point(inside.x, inside.y, floor + 5 + n, VerticalRef.WGS84))
    assert "TRA EPTR63" not in names(airspace.at_point(inside.x, inside.y, floor - 5 + n, VerticalRef.WGS84))


def _zone(
    identifier: str, lower: AltitudeLimit, upper: AltitudeLimit, *, app: Applicability | None = None
) -> Zone:
    return Zone(
        identifier=identifier,
        country="CZE",
        name=identifier,
        restriction=Restriction.PROHIBITED,
        reasons=("OTHER",),
        volumes=(ZoneVolume(circle_polygon(17.3, 50.3, 1000), lower, upper),),
        applicability=app or Applicability(),
        uid=identifier,
    )


def test_wgs84_limits_use_the_geoid_at_the_point() -> None:
    n = float(geoid_undulation_m(17.3, 50.3))
    zone = _zone(
        "W", AltitudeLimit(500 + n, VerticalRef.WGS84, "x"), AltitudeLimit(600 + n, VerticalRef.WGS84, "y")
    )
    index = ZoneIndex([zone])
    assert index.at_point(17.3, 50.3, 510, VerticalRef.AMSL)
    assert not index.at_point(17.3, 50.3, 495, VerticalRef.AMSL)
    p, _ = index.bulk_hits([17.3, 17.3], [50.3, 50.3], [510.0, 495.0])
    assert p.tolist() == [0]


def test_time_windows_filter_only_when_a_time_is_given() -> None:
    weekend = Applicability(
        (TimeWindow(daily=(DailyPeriod(frozenset({Weekday.SAT, Weekday.SUN}), _t(7), _t(19)),)),)
    )
    zone = _zone(
        "WE",
        AltitudeLimit(0, VerticalRef.AGL, "GND"),
        AltitudeLimit(math.inf, VerticalRef.AMSL, "UNL"),
        app=weekend,
    )
    index = ZoneIndex([zone])
    saturday = datetime(2026, 5, 2, 10, 0, tzinfo=UTC)
    monday = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert index.at_point(17.3, 50.3, 100, VerticalRef.AGL, at=saturday)
    assert index.at_point(17.3, 50.3, 100, VerticalRef.AGL, at=monday) == []
    assert index.at_point(17.3, 50.3, 100, VerticalRef.AGL)  # no time: every zone counts
    assert index.bulk_hits([17.3], [50.3], [500.0], at=monday)[0].size == 0
    assert index.in_area(box(17.2, 50.2, 17.4, 50.4), at=monday) == []


def _t(hour: int):  # type: ignore[no-untyped-def]
    from datetime import time

    return time(hour)


def test_bulk_matches_scalar_and_brute_force(airspace: ZoneIndex) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    lon = rng.uniform(16.5, 18.5, n)
    lat = rng.uniform(49.8, 50.9, n)
    ground = rng.uniform(150, 1400, n)
    ground[rng.random(n) < 0.1] = np.nan
    alt = np.where(np.isnan(ground), rng.uniform(0, 4000, n), ground + rng.uniform(0, 3000, n))
    detailed = airspace.bulk_hits_detailed(lon, lat, alt, ground_amsl_m=ground)
    bulk = set(zip(detailed.point_idx.tolist(), detailed.zone_idx.tolist(), strict=True))
    assert bulk, "the sample must hit something"
    scalar: set[tuple[int, int]] = set()
    for i in range(0, n, 7):
        g = None if math.isnan(ground[i]) else float(ground[i])
        for hit in airspace.at_point(
            float(lon[i]), float(lat[i]), float(alt[i]), VerticalRef.AMSL, ground_amsl_m=g
        ):
            scalar.add((i, hit.zone_index))
    assert scalar == {pair for pair in bulk if pair[0] % 7 == 0}
    # horizontal part against plain shapely: every hit is inside its footprint
    for i, zi in list(bulk)[:500]:
        zone = airspace.zones[zi]
        assert any(v.footprint.intersects(Point(lon[i], lat[i])) for v in zone.volumes)


def test_along_path_samples_legs_not_only_vertices(airspace: ZoneIndex) -> None:
    lon0, lat0 = MIKULOVICE
    west_lon, west_lat, _ = WGS84_GEOD.fwd(lon0, lat0, 270, 6000)
    east_lon, east_lat, _ = WGS84_GEOD.fwd(lon0, lat0, 90, 6000)
    north_lon, north_lat, _ = WGS84_GEOD.fwd(east_lon, east_lat, 0, 1000)
    lon = np.array([west_lon, east_lon, north_lon])
    lat = np.array([west_lat, east_lat, north_lat])
    alt = np.array([400.0, 400.0, 400.0])
    hits = airspace.along_path(
        lon, lat, alt, ground_amsl_m_fn=lambda x, y: np.full(x.shape, 300.0), spacing_m=25
    )
    dz = [h for h in hits if h.zone.name.startswith("DROPZONE Jesenik")]
    assert len(dz) == 1, "both vertices are outside the circle: only leg sampling can find it"
    assert dz[0].leg_index == 0 and not dz[0].uncertain
    # the first sample inside is ~2 NM before the centre, i.e. ~2296 m along the 12 km leg
    assert dz[0].distance_along_leg_m == pytest.approx(6000 - 3704, abs=30)
    assert dz[0].alt_amsl_m == pytest.approx(400.0)
    # GND..FL 95 needs no terrain for a path at 400 m AMSL: still a certain hit without a DEM
    no_ground = airspace.along_path(lon, lat, alt)
    assert [h.uncertain for h in no_ground if h.zone.name.startswith("DROPZONE Jesenik")] == [False]
    # an AGL band without terrain is reported, flagged uncertain
    agl = ZoneIndex(
        [_zone("AGL", AltitudeLimit(0, VerticalRef.AGL, "GND"), AltitudeLimit(120, VerticalRef.AGL, "120 m"))]
    )
    path_hits = agl.along_path([17.28, 17.32], [50.3, 50.3], [900.0, 900.0])
    assert [(h.leg_index, h.uncertain) for h in path_hits] == [(0, True)]
    assert (
        agl.along_path(
            [17.28, 17.32], [50.3, 50.3], [900.0, 900.0], ground_amsl_m_fn=lambda x, y: x * 0 + 300
        )
        == []
    )
    with pytest.raises(ValueError, match="spacing_m"):
        airspace.along_path(lon, lat, alt, spacing_m=0)


def test_in_area_and_region_zones(shared_data: Path, airspace: ZoneIndex) -> None:
    region_box = box(16.8, 50.0, 17.8, 50.7)
    inside = {z.name for z in airspace.in_area(region_box)}
    assert "TRA EPTR63" in inside and any(n.startswith("DROPZONE Jesenik") for n in inside)
    assert airspace.in_area(box(-10, 10, -9, 11)) == []
    che = ZoneIndex(
        load_ed269(shared_data / "zones" / "ed269" / "interuss_dss_geo-awareness-che-1.ed269.json").zones
    )
    lausanne = che.at_point(6.615, 46.55, 70, VerticalRef.AGL)
    assert [h.zone.identifier for h in lausanne] == ["Lausanne Airport"]
    assert lausanne[0].volume_indices == (0, 1, 2)


def test_invalid_query_input_is_a_clear_error(airspace: ZoneIndex) -> None:
    with pytest.raises(ValueError, match="point 1"):
        airspace.bulk_hits([17.0, np.nan], [50.0, 50.0], [100.0, 100.0])
    with pytest.raises(ValueError, match="one value per point"):
        airspace.bulk_hits([17.0, 17.1], [50.0, 50.0], [100.0])
    with pytest.raises(ValueError, match="not a valid WGS84"):
        airspace.at_point(50.2, 95.0, 100, VerticalRef.AMSL)
    empty = ZoneIndex([])
    assert empty.at_point(17.0, 50.0, 10, VerticalRef.AGL) == []
    assert empty.bulk_hits([17.0], [50.0], [10.0])[0].size == 0


def _square_zone(identifier: str, x0: float, y0: float, size: float) -> Zone:
    return Zone(
        identifier=identifier,
        country="",
        name=identifier,
        restriction=Restriction.CONDITIONAL,
        reasons=(),
        volumes=(
            ZoneVolume(
                box(x0, y0, x0 + size, y0 + size),
                AltitudeLimit(0, VerticalRef.AMSL, "0"),
                AltitudeLimit(1000, VerticalRef.AMSL, "1000"),
            ),
        ),
        uid=identifier,
    )


@pytest.mark.parametrize("n_big", [3, 80])  # few huge zones: checked by box; many: STRtree fallback
def test_bulk_candidates_match_brute_force_with_huge_and_tiny_zones(n_big: int) -> None:
    rng = np.random.default_rng(n_big)
    zones = [_square_zone(f"S{i}", *rng.uniform([10, 45], [20, 55]), 0.05) for i in range(300)]
    zones += [_square_zone(f"B{i}", *rng.uniform([0, 40], [10, 45]), 12.0) for i in range(n_big)]
    index = ZoneIndex(zones)
    lon = np.concatenate([rng.uniform(0, 25, 4000), [zones[0].volumes[0].footprint.bounds[2]]])
    lat = np.concatenate([rng.uniform(40, 58, 4000), [zones[0].volumes[0].footprint.bounds[3]]])
    alt = np.full(lon.size, 500.0)
    p, z = index.bulk_hits(lon, lat, alt)
    got = set(zip(p.tolist(), z.tolist(), strict=True))
    expected = {
        (i, zi)
        for zi, zone in enumerate(zones)
        for i in np.flatnonzero(shapely_intersects(zone, lon, lat)).tolist()
    }
    assert got == expected
    assert (lon.size - 1, 0) in got, "a point on the far corner of a zone (boundary) counts as inside"


def shapely_intersects(zone: Zone, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    import shapely

    return shapely.intersects_xy(zone.volumes[0].footprint, lon, lat)


def test_along_path_with_ground_given_per_vertex() -> None:
    agl = ZoneIndex(
        [_zone("AGL", AltitudeLimit(0, VerticalRef.AGL, "GND"), AltitudeLimit(120, VerticalRef.AGL, "120"))]
    )
    lon, lat = [17.28, 17.32], [50.3, 50.3]
    # 900 m AMSL over ground rising 300 -> 1000 m: above 120 m AGL in the west, inside the band near the east
    hits = agl.along_path(lon, lat, [900.0, 900.0], ground_amsl_m=[300.0, 1000.0])
    assert len(hits) == 1 and not hits[0].uncertain
    assert hits[0].lon > 17.3
    with pytest.raises(ValueError, match="not both"):
        agl.along_path(lon, lat, [900.0, 900.0], ground_amsl_m=[1.0, 1.0], ground_amsl_m_fn=lambda x, y: x)
