"""Vehicle time on the wire stays the world clock's vehicle time across speed changes.

The conformance tests read the link time of a recorded frame from the vehicle's ATTITUDE.time_boot_ms
through ``SimClock.link_s_at``; that only holds while the vehicle's own time is the clock's. A speed change
between two physics steps once made the vehicle step by the new tick's dt twice, and its time drifted by
up to one tick per change (a loaded run then read a paced STATUSTEXT 30 ms early).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import Scenario
from sim.terrain_source import FlatGround
from sim.world import PHYSICS_EVERY_TICKS, World, WorldPorts
from tests.sim.helpers import HOME_ALT, HOME_LAT, HOME_LON


def _world() -> World:
    scenario = Scenario.model_validate(
        {
            "name": "clock",
            "vehicles": [
                {"slug": "sim-1", "home": {"lon": HOME_LON, "lat": HOME_LAT, "alt_amsl_m": HOME_ALT}}
            ],
        }
    )
    return World(scenario, FlatGround(HOME_ALT), speed=1.0, ports=WorldPorts(gcs_ports=(9,)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.5, 1.0, 2.0, 4.0, 10.0, 15.0]), st.integers(1, 7)), max_size=8))
def test_vehicle_time_is_clock_time_at_every_physics_step(segments: list[tuple[float, int]]) -> None:
    world = _world()
    vehicle = world.vehicles["sim-1"]
    clock = world.clock
    for speed, ticks in segments:
        clock.speed = speed  # set between ticks, often between two physics steps
        for _ in range(ticks):
            world.step()
            if clock.ticks % PHYSICS_EVERY_TICKS == 0:
                assert vehicle.flight.time_s == pytest.approx(clock.sim_time_s, abs=1e-9)
                # what the conformance clocks read: the stamp on the wire, mapped back to link time
                # (time_boot_ms truncates to 1 ms of vehicle time: at most 1 ms / speed of link time)
                stamp_s = vehicle.time_boot_ms() / 1000.0
                assert -1e-9 <= clock.link_s() - clock.link_s_at(stamp_s) <= 1e-3 / speed + 1e-9
