"""Link time: the clock the simulated autopilot's link timers run on (sim/clock.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.clock import SimClock
from sim.streams import StreamId, StreamTable


def test_link_time_advances_one_tick_per_tick_whatever_the_speed() -> None:
    clock = SimClock(speed=1.0, tick_s=0.01)
    start = clock.link_s()
    for speed in (1.0, 10.0, 0.5):
        clock.speed = speed
        for _ in range(100):
            clock.advance()
    assert clock.link_s() - start == pytest.approx(3.0)
    assert clock.sim_time_s == pytest.approx(1.0 + 10.0 + 0.5)


@given(st.lists(st.tuples(st.floats(0.05, 50.0), st.integers(1, 300)), min_size=1, max_size=6))
def test_vehicle_time_maps_back_to_link_time_across_speed_changes(segments: list[tuple[float, int]]) -> None:
    """What a vehicle timestamp on the wire says about the link timers: at every tick, the mapping of the
    vehicle time then is the link time then."""
    clock = SimClock(speed=segments[0][0], tick_s=0.01)
    for speed, ticks in segments:
        clock.speed = speed
        for _ in range(ticks):
            clock.advance()
            assert clock.link_s_at(clock.sim_time_s) == pytest.approx(clock.link_s(), abs=1e-6)


def test_a_starved_loop_sends_a_100_hz_stream_at_98_per_second_of_link_time() -> None:
    """However late the ticks come in wall time, each advances link time by one tick, so a stream on link
    time neither drops frames nor bunches them (PX4's streams run at ~98 % of the configured rate)."""
    clock = SimClock(tick_s=0.01)
    table = StreamTable()
    sent = 0
    for _ in range(1000):  # ten seconds of link time, however long they took
        clock.advance()
        sent += table.due(clock.link_s()).count(StreamId.ATTITUDE)
    assert 975 <= sent <= 985
