"""Zone raster tiles for overview zooms: every zone shows where it is, in its class colour, the most severe
class on top; holes stay open; approximate outlines are dashed; the version follows the zones."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from geodata.errors import InputError
from geodata.terrain.tiles import tile_pixel_lonlat
from geodata.vertical import VerticalRef
from geodata.zones.model import AltitudeLimit, Restriction, Zone, ZoneVolume
from geodata.zones.tiles import FILL_ALPHA, LINE_ALPHA, RESTRICTION_RGB, ZoneTiles

Z = 12
LON, LAT = 17.30, 50.25


def tile_of(lon: float, lat: float, z: int = Z) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return z, x, y


def zone(
    footprint: Polygon, restriction: Restriction = Restriction.PROHIBITED, approximate: bool = False
) -> Zone:
    return Zone(
        identifier=f"T-{footprint.bounds[0]:.5f}-{restriction}",
        country="CZE",
        name="test",
        restriction=restriction,
        reasons=("OTHER",),
        volumes=(
            ZoneVolume(
                footprint=footprint,
                lower=AltitudeLimit(0.0, VerticalRef.AGL, "GND"),
                upper=AltitudeLimit(120.0, VerticalRef.AGL, "120 m AGL"),
            ),
        ),
        approximate=approximate,
    )


def pixel_at(rgba: np.ndarray, tile: tuple[int, int, int], lon: float, lat: float) -> np.ndarray:  # type: ignore[type-arg]
    lons, lats = tile_pixel_lonlat(*tile)
    return rgba[int(np.argmin(np.abs(lats - lat))), int(np.argmin(np.abs(lons - lon)))]


def test_a_zone_is_filled_in_its_colour_outlined_and_nothing_outside() -> None:
    tile = tile_of(LON, LAT)
    lons, lats = tile_pixel_lonlat(*tile)
    # a box over the middle third of the tile
    area = box(lons[85], lats[170], lons[170], lats[85])
    rgba = ZoneTiles([zone(area)]).rgba(*tile)
    inside = rgba[128, 128]
    assert tuple(inside[:3]) == RESTRICTION_RGB[Restriction.PROHIBITED]
    assert inside[3] == round(FILL_ALPHA * 255)
    assert rgba[20, 20, 3] == 0 and rgba[230, 128, 3] == 0
    assert rgba[128, 85, 3] == round(LINE_ALPHA * 255)  # the west edge's column
    assert rgba[85, 128, 3] == round(LINE_ALPHA * 255)  # the north edge's row


def test_the_most_severe_class_is_drawn_on_top_whatever_the_input_order() -> None:
    tile = tile_of(LON, LAT)
    lons, lats = tile_pixel_lonlat(*tile)
    big = box(lons[10], lats[240], lons[240], lats[10])
    small = box(lons[100], lats[150], lons[150], lats[100])
    for zones in (
        [zone(big, Restriction.PROHIBITED), zone(small, Restriction.CONDITIONAL)],
        [zone(small, Restriction.CONDITIONAL), zone(big, Restriction.PROHIBITED)],
    ):
        rgba = ZoneTiles(zones).rgba(*tile)
        red, yellow = (
            np.array(RESTRICTION_RGB[r], dtype=float)
            for r in (Restriction.PROHIBITED, Restriction.CONDITIONAL)
        )
        both = rgba[125, 125, :3].astype(float)
        assert np.linalg.norm(both - red) < np.linalg.norm(both - yellow)
        assert rgba[125, 125, 3] > rgba[30, 30, 3] > 0  # two fills over each other, one fill alone


def test_a_hole_stays_open_and_multipolygon_parts_are_each_drawn() -> None:
    tile = tile_of(LON, LAT)
    lons, lats = tile_pixel_lonlat(*tile)
    ring = Polygon(
        box(lons[20], lats[230], lons[230], lats[20]).exterior,
        [box(lons[100], lats[150], lons[150], lats[100]).exterior.coords],
    )
    rgba = ZoneTiles([zone(ring)]).rgba(*tile)
    assert rgba[125, 125, 3] == 0
    assert rgba[60, 60, 3] == round(FILL_ALPHA * 255)


def test_approximate_outlines_are_dashed() -> None:
    tile = tile_of(LON, LAT)
    lons, lats = tile_pixel_lonlat(*tile)
    area = box(lons[40], lats[200], lons[200], lats[40])
    solid = ZoneTiles([zone(area)]).rgba(*tile)[40, 50:190, 3]
    dashed = ZoneTiles([zone(area, approximate=True)]).rgba(*tile)[40, 50:190, 3]
    line = round(LINE_ALPHA * 255)
    assert (solid == line).all()
    assert 0.3 < (dashed == line).mean() < 0.7 and (dashed > 0).all()


def test_tiles_away_from_zones_are_transparent_and_bad_tiles_are_refused() -> None:
    tiles = ZoneTiles([zone(Point(LON, LAT).buffer(0.01))])
    far = tile_of(LON + 1.0, LAT)
    assert not tiles.rgba(*far)[..., 3].any()
    assert tiles.png(*far).startswith(b"\x89PNG")
    with pytest.raises(InputError, match="outside"):
        tiles.rgba(Z, 2**Z, 0)


def test_the_version_changes_with_the_zones() -> None:
    one = [zone(Point(LON, LAT).buffer(0.01))]
    assert ZoneTiles(one).version == ZoneTiles(list(one)).version
    assert ZoneTiles(one).version != ZoneTiles([zone(Point(LON, LAT).buffer(0.011))]).version
    assert (
        ZoneTiles(one).version
        != ZoneTiles([zone(Point(LON, LAT).buffer(0.01), Restriction.CONDITIONAL)]).version
    )
    assert ZoneTiles(one).version != ZoneTiles([zone(Point(LON, LAT).buffer(0.01), approximate=True)]).version


_offsets = st.floats(min_value=-0.03, max_value=0.03)
_sizes = st.floats(min_value=0.00005, max_value=0.02)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(_offsets, _offsets, _sizes, _sizes, st.sampled_from(list(Restriction))),
        min_size=1,
        max_size=6,
    )
)
def test_no_zone_is_left_off_the_map_and_nothing_is_drawn_where_there_is_none(boxes: list) -> None:  # type: ignore[type-arg]
    """The overview is a safety display: a pixel well inside any zone is painted, a pixel well away from
    every zone is clear (1.5 px of tolerance for where an edge falls)."""
    zones = [zone(box(LON + dx, LAT + dy, LON + dx + w, LAT + dy + h), r) for dx, dy, w, h, r in boxes]
    tile = tile_of(LON, LAT, 11)
    rgba = ZoneTiles(zones).rgba(*tile)
    lons, lats = tile_pixel_lonlat(*tile)
    pixel_lon = float(lons[1] - lons[0])
    pixel_lat = float(np.abs(np.diff(lats)).max())
    inside = np.zeros(rgba.shape[:2], dtype=bool)
    near = np.zeros(rgba.shape[:2], dtype=bool)
    for z in zones:
        w, s, e, n = z.footprint.bounds
        cols_in = (lons > w + 1.5 * pixel_lon) & (lons < e - 1.5 * pixel_lon)
        rows_in = (lats > s + 1.5 * pixel_lat) & (lats < n - 1.5 * pixel_lat)
        inside |= rows_in[:, None] & cols_in[None, :]
        cols_near = (lons > w - 1.5 * pixel_lon) & (lons < e + 1.5 * pixel_lon)
        rows_near = (lats > s - 1.5 * pixel_lat) & (lats < n + 1.5 * pixel_lat)
        near |= rows_near[:, None] & cols_near[None, :]
    assert (rgba[..., 3][inside] > 0).all()
    assert not rgba[..., 3][~near].any()
