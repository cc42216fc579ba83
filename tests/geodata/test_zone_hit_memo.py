"""Remembered bulk zone answers are the answers: a property test against an index that remembers nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geodata.vertical import VerticalRef
from geodata.zones.index import ZoneIndex
from geodata.zones.model import (
    AltitudeLimit,
    Applicability,
    Restriction,
    TimeWindow,
    Zone,
    ZoneVolume,
)

START = datetime(2026, 6, 1, 8, tzinfo=UTC)
TIMES = [None, START, START + timedelta(days=2)]


def _zones() -> list[Zone]:
    """Overlapping boxes with bands in AGL, AMSL and from the ground, some only in force on day one."""
    rng = np.random.default_rng(7)
    zones = []
    for i in range(60):
        lon, lat = rng.uniform(17.0, 17.2), rng.uniform(50.0, 50.1)
        size = rng.uniform(0.005, 0.05)
        ref = [VerticalRef.AGL, VerticalRef.AMSL][i % 2]
        low = 0.0 if i % 3 == 0 else float(rng.uniform(0, 300))
        high = low + float(rng.uniform(20, 500))
        windows = (TimeWindow(start=START, end=START + timedelta(days=1)),) if i % 4 == 0 else ()
        zones.append(
            Zone(
                identifier=f"Z{i}",
                name=f"zone {i}",
                country="CZE",
                restriction=Restriction.PROHIBITED,
                reasons=(),
                volumes=(
                    ZoneVolume(
                        footprint=box(lon, lat, lon + size, lat + size),
                        lower=AltitudeLimit(low, ref, f"{low} m"),
                        upper=AltitudeLimit(high, ref, f"{high} m"),
                    ),
                ),
                applicability=Applicability(windows=windows) if windows else Applicability(),
            )
        )
    return zones


@pytest.fixture(scope="module")
def indexes() -> tuple[ZoneIndex, ZoneIndex]:
    zones = _zones()
    return ZoneIndex(zones), ZoneIndex(zones, remembered_queries=0)


coordinate = st.tuples(
    st.floats(16.99, 17.26),
    st.floats(49.99, 50.16),
    st.floats(-50, 900),
    st.one_of(st.just(float("nan")), st.floats(0, 400)),
)


def _pairs(hits: object) -> list[tuple[int, int, bool]]:
    return sorted(
        zip(hits.point_idx.tolist(), hits.volume_idx.tolist(), hits.uncertain.tolist(), strict=True)  # type: ignore[attr-defined]
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(coordinate, min_size=1, max_size=60),
    moved=st.lists(coordinate, max_size=20),
    keep=st.lists(st.integers(0, 59), max_size=80),
    at_first=st.sampled_from(TIMES),
    at_second=st.sampled_from(TIMES),
)
def test_a_remembered_answer_equals_a_fresh_one(
    indexes: tuple[ZoneIndex, ZoneIndex],
    first: list[tuple[float, float, float, float]],
    moved: list[tuple[float, float, float, float]],
    keep: list[int],
    at_first: datetime | None,
    at_second: datetime | None,
) -> None:
    """A second query made of points of the first (reordered, repeated) and new ones, at the same or
    another time, as an edited mission's samples are: the remembering index answers exactly as one that
    asks every time, pair by pair and uncertainty flag by flag."""
    remembering, fresh = indexes
    second = [first[i % len(first)] for i in keep] + moved
    if not second:
        second = first
    for points, at in ((first, at_first), (second, at_second)):
        lon, lat, alt, ground = (np.array(column, dtype=np.float64) for column in zip(*points, strict=True))
        got = remembering.bulk_hits_detailed(lon, lat, alt, ground_amsl_m=ground, at=at)
        want = fresh.bulk_hits_detailed(lon, lat, alt, ground_amsl_m=ground, at=at)
        assert _pairs(got) == _pairs(want)
        assert np.array_equal(got.zone_idx, remembering._vol_zone[got.volume_idx])


def test_an_edit_asks_the_index_only_about_the_moved_points(indexes: tuple[ZoneIndex, ZoneIndex]) -> None:
    remembering, _ = indexes
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(17.0, 17.2, 2000), rng.uniform(50.0, 50.1, 2000)
    alt, ground = rng.uniform(0, 600, 2000), rng.uniform(0, 300, 2000)
    remembering.bulk_hits_detailed(lon, lat, alt, ground_amsl_m=ground, at=START)
    asked: list[int] = []
    ask = remembering._pairs

    def counting(lon_q, lat_q, frames, at):  # type: ignore[no-untyped-def]
        asked.append(lon_q.size)
        return ask(lon_q, lat_q, frames, at)

    remembering._pairs = counting  # type: ignore[method-assign]
    try:
        lon2 = lon.copy()
        lon2[100:110] += 0.001
        remembering.bulk_hits_detailed(
            np.insert(lon2, 5, 17.1),
            np.insert(lat, 5, 50.05),
            np.insert(alt, 5, 50.0),
            ground_amsl_m=np.insert(ground, 5, 10.0),
            at=START,
        )
    finally:
        del remembering._pairs
    assert asked == [11]
