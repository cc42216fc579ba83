"""Trace c (two 15 s data-link blackouts during a mission) replayed with MAVSDK through the recording
proxy: with NAV_DLL_ACT=0 nothing happens; with 2 the vehicle holds, then returns even though the link
came back during the Hold delay, and the texts queued while the GCS was lost arrive in a burst."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.trace_facts import WireFacts, read_tlog
from tests.sim.conformance.compare import (
    Clock,
    heartbeat_phases,
    self_command_sends,
    text_sequence,
    vehicle_commands,
    wall_clock,
)
from tests.sim.conformance.conftest import RecordedLink, ScenarioRun, VehicleTarget, trace_path
from tests.sim.conformance.mavsdk_client import mavsdk_station
from tests.sim.conformance.scenarios import fly_link_loss_c

pytestmark = [pytest.mark.sitl, pytest.mark.timeout(360)]

Blackouts = list[tuple[float, float]]
# LINK_BLOCK / LINK_UNBLOCK of the reference recorder, seconds after the trace's first frame (README c).
PX4_BLACKOUTS_REL = [(39.24, 54.25), (69.26, 84.27)]
MAV_STATE_CRITICAL = 5


@pytest.fixture(scope="module")
def flown(vehicle_target: VehicleTarget) -> ScenarioRun[Blackouts]:
    async def script(link: RecordedLink) -> Blackouts:
        async with mavsdk_station(link.mavsdk_url) as station:
            return await fly_link_loss_c(station, link, blackout_speed=3.0)

    return vehicle_target.run(script, speed=4.0)


@pytest.fixture(scope="module")
def px4(reference: Callable[[str], WireFacts]) -> WireFacts:
    return reference("link_loss")


def _cases(flown: ScenarioRun[Blackouts], px4: WireFacts) -> list[tuple[WireFacts, Blackouts]]:
    px4_blackouts = [(px4.first_t + a, px4.first_t + b) for a, b in PX4_BLACKOUTS_REL]
    return [(px4, px4_blackouts), (flown.facts, flown.value)]


def _clocks(flown: ScenarioRun[Blackouts]) -> list[Clock]:
    """Per case of ``_cases``: the trace ran at ~1x; a live PX4 keeps COM_DL_LOSS_T and its text queue
    on its lockstep clock (commander's hrt_elapsed_time(&_datalink_last_heartbeat_gcs)), the
    simulator on its link time (the wall clock's pace while its loop keeps up, design contract 8)."""
    return [wall_clock, flown.link.link_clock()]


def test_mode_sequence_and_heartbeat_phases(flown: ScenarioRun[Blackouts], px4: WireFacts) -> None:
    assert px4.mode_sequence == [
        "AUTO.LOITER",
        "AUTO.TAKEOFF",
        "AUTO.LOITER",
        "AUTO.MISSION",
        "AUTO.LOITER",
        "AUTO.RTL",
        "AUTO.MISSION",
    ]
    assert flown.facts.mode_sequence == px4.mode_sequence
    assert heartbeat_phases(flown.facts) == heartbeat_phases(px4)


def test_statustexts(flown: ScenarioRun[Blackouts], px4: WireFacts) -> None:
    assert text_sequence(flown.facts) == text_sequence(px4)


def test_no_statustext_and_no_mode_change_during_first_blackout(
    flown: ScenarioRun[Blackouts], px4: WireFacts
) -> None:
    for facts, blackouts in _cases(flown, px4):
        (start, end), _ = blackouts
        assert not [s.text for s in facts.statustexts if start <= s.t <= end]
        during = [hb for hb in facts.heartbeats if start <= hb.t <= end + 1.0]
        assert not during, f"HEARTBEAT changed during a blackout with NAV_DLL_ACT=0: {during}"


def test_loss_detected_about_12_4_s_after_last_gcs_heartbeat(
    flown: ScenarioRun[Blackouts], px4: WireFacts
) -> None:
    """COM_DL_LOSS_T=10 plus PX4's ~2.4 s; the 1 Hz HEARTBEAT shows it up to 1 s later (PX4: 12.6 s)."""
    for (facts, blackouts), clock in zip(_cases(flown, px4), _clocks(flown), strict=True):
        _, (start, end) = blackouts
        last_gcs = max(t for t in facts.gcs_heartbeats if t < start)
        critical = next(hb for hb in facts.heartbeats if hb.system_status == MAV_STATE_CRITICAL)
        assert (critical.mode, critical.base_mode) == ("AUTO.LOITER", 0x9D)
        assert 12.3 <= clock(critical.t) - clock(last_gcs) <= 13.6
        assert critical.t < end


def test_queued_texts_burst_after_the_gcs_heartbeat_returns(
    flown: ScenarioRun[Blackouts], px4: WireFacts
) -> None:
    for (facts, blackouts), clock in zip(_cases(flown, px4), _clocks(flown), strict=True):
        for _start, end in blackouts:
            back = min(t for t in facts.gcs_heartbeats if t > end)
            burst = [s for s in facts.statustexts if 0.0 <= clock(s.t) - clock(back) <= 0.5]
            assert burst and burst[0].text == "Connection to ground station lost\t"
            assert clock(burst[0].t) - clock(back) < 0.05
            assert burst[-1].text == "GCS connection regained\t"
            gaps = [clock(b.t) - clock(a.t) for a, b in itertools.pairwise(burst)]
            assert all(0.02 <= gap <= 0.1 for gap in gaps), gaps


def test_own_commands_and_their_repeats_match_px4(flown: ScenarioRun[Blackouts], shared_data: Path) -> None:
    """The failsafe Hold stops the mission (DO_TRIGGER_CONTROL repeated, gimbal neutral + release),
    the RTL after it takes the gimbal (CONFIGURE(1,1) repeated), its touchdown sends command 0, repeated."""
    px4 = vehicle_commands(read_tlog(trace_path(shared_data, "link_loss"), types={"COMMAND_LONG"}))
    sim = vehicle_commands(read_tlog(flown.link.tlog, types={"COMMAND_LONG"}))
    assert self_command_sends(sim) == self_command_sends(px4)
