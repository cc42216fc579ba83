"""Trace b (GF_ACTION=3 geofence breach) replayed with MAVSDK against the simulator and compared with
what PX4 v1.16 SITL showed: a goto across an active fence is ACKed and ignored; a real breach holds
for COM_FAIL_ACT_T, then returns, CRITICAL until disarm, and the mode goes back to Hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sim.trace_facts import WireFacts, read_tlog
from tests.sim.conformance.compare import (
    acks_of,
    first_text,
    heartbeat_phases,
    mission_exchange,
    self_command_sends,
    text_sequence,
    uploads,
    vehicle_commands,
)
from tests.sim.conformance.conftest import RecordedLink, ScenarioRun, TargetKind, VehicleTarget, trace_path
from tests.sim.conformance.mavsdk_client import mavsdk_station
from tests.sim.conformance.scenarios import fly_geofence_breach_b

pytestmark = [pytest.mark.sitl, pytest.mark.timeout(360)]

MAV_CMD_DO_REPOSITION = 192
MAV_PARAM_TYPE_INT32 = 6
MAV_MISSION_TYPE_FENCE = 1
BREACH_SPEED = 2.0  # the Hold delay must span more than one 1 Hz HEARTBEAT


@pytest.fixture(scope="module")
def flown(vehicle_target: VehicleTarget) -> ScenarioRun[float]:
    async def script(link: RecordedLink) -> float:
        async with mavsdk_station(link.mavsdk_url) as station:
            return await fly_geofence_breach_b(station, link, approach_speed=6.0)

    return vehicle_target.run(script, speed=BREACH_SPEED)


@pytest.fixture(scope="module")
def px4(reference: Callable[[str], WireFacts]) -> WireFacts:
    return reference("geofence_breach")


def test_mode_sequence_and_heartbeat_phases(flown: ScenarioRun[float], px4: WireFacts) -> None:
    assert px4.mode_sequence == ["AUTO.LOITER", "AUTO.TAKEOFF", "AUTO.LOITER", "AUTO.RTL", "AUTO.LOITER"]
    assert flown.facts.mode_sequence == px4.mode_sequence
    # ... including Hold/CRITICAL from the breach, RTL/CRITICAL, and STANDBY in Hold after the disarm.
    assert heartbeat_phases(flown.facts) == heartbeat_phases(px4)


def test_statustexts(flown: ScenarioRun[float], px4: WireFacts) -> None:
    assert text_sequence(flown.facts) == text_sequence(px4)


def test_reposition_across_fence_is_acked_and_ignored(flown: ScenarioRun[float], px4: WireFacts) -> None:
    for facts in (px4, flown.facts):
        (first_ack_t, first_result), (_, second_result) = acks_of(facts, MAV_CMD_DO_REPOSITION)
        assert (first_result, second_result) == (0, 0)
        rejected = first_text(facts, "Reposition is outside geofence\t")
        assert rejected.severity == 2
        assert abs(rejected.t - first_ack_t) < 0.1
    assert flown.value < 2.0, f"the vehicle moved {flown.value:.1f} m after a goto across its fence"


def test_reposition_rejection_text_follows_the_ack(flown: ScenarioRun[float], px4: WireFacts) -> None:
    """PX4's commander ACKs DO_REPOSITION first; the navigator rejects it afterwards (+0.6 ms)."""
    for facts in (px4, flown.facts):
        first_ack_t = acks_of(facts, MAV_CMD_DO_REPOSITION)[0][0]
        assert first_text(facts, "Reposition is outside geofence\t").t > first_ack_t


def test_breach_holds_for_com_fail_act_t_then_returns(flown: ScenarioRun[float], px4: WireFacts) -> None:
    """'Failsafe activated' comes COM_FAIL_ACT_T (5 s of vehicle time) after the breach message."""
    sim_speed = BREACH_SPEED if flown.link.kind == TargetKind.BUILTIN else 1.0
    delays = []
    for facts, speed in ((px4, 1.0), (flown.facts, sim_speed)):
        breach = first_text(facts, "Geofence: approaching or outside geofence")
        entering = first_text(facts, "Failsafe activated: entering Hold for 5 seconds\t")
        acting = first_text(facts, "Failsafe activated\t")
        assert breach.severity == entering.severity == acting.severity == 2
        delays.append((acting.t - breach.t) * speed)
    px4_delay, sim_delay = delays
    assert px4_delay == pytest.approx(5.1, abs=0.1)
    assert sim_delay == pytest.approx(px4_delay, abs=0.5)


def test_gf_action_param_set_echo_is_bytewise_int32(flown: ScenarioRun[float], px4: WireFacts) -> None:
    for facts in (px4, flown.facts):
        sets = [p for p in facts.params if not p.from_vehicle and p.name == "GF_ACTION"]
        echoes = [p for p in facts.params if p.from_vehicle and p.name == "GF_ACTION"]
        assert sets and echoes
        echo = next(e for e in echoes if e.t >= sets[0].t)
        assert echo.param_type == MAV_PARAM_TYPE_INT32
        assert echo.bytewise_int == 3
        assert echo.t - sets[0].t < 0.05


def test_fence_uploads_and_clear(flown: ScenarioRun[float], px4: WireFacts) -> None:
    """First fence upload over the link starts non-INT; the re-upload en route starts with INT."""
    for facts in (px4, flown.facts):
        exchange = mission_exchange(facts, MAV_MISSION_TYPE_FENCE)
        first, second = uploads(exchange)[:2]
        assert first[1] == ("V2G MISSION_REQUEST", 0)
        assert second[1] == ("V2G MISSION_REQUEST_INT", 0)
        assert first[-1] == second[-1] == ("V2G MISSION_ACK", 0)
        clear = exchange.index(("G2V MISSION_CLEAR_ALL", None))
        assert exchange[clear + 1] == ("V2G MISSION_ACK", 0)


def test_own_commands_and_their_repeats_match_px4(flown: ScenarioRun[float], shared_data: Path) -> None:
    """RTL from Hold takes and releases the gimbal (CONFIGURE(1,1) repeated 3 times);
    the touchdown of the RTL sends command 0, repeated. No DO_TRIGGER_CONTROL: no mission was running."""
    px4 = vehicle_commands(read_tlog(trace_path(shared_data, "geofence_breach"), types={"COMMAND_LONG"}))
    sim = vehicle_commands(read_tlog(flown.link.tlog, types={"COMMAND_LONG"}))
    assert self_command_sends(sim) == self_command_sends(px4)
