"""Trace a (fence + 5-waypoint mission + RTL) replayed with MAVSDK: the simulator must show on the wire
what PX4 v1.16 SITL showed. One flight per target serves every comparison in this module."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.trace_facts import WireFacts, extract_facts, read_tlog, within
from tests.sim.conformance.compare import (
    JITTERED_SECOND,
    SentWithin,
    acks_of,
    assert_one_second_apart,
    heartbeat_phases,
    mission_exchange,
    reached_repeats,
    retry_gaps,
    self_command_sends,
    sent_within,
    text_sequence,
    uploads,
    vehicle_commands,
    wall_clock,
)
from tests.sim.conformance.conftest import RecordedLink, ScenarioRun, TargetKind, VehicleTarget, trace_path
from tests.sim.conformance.mavsdk_client import mavsdk_station
from tests.sim.conformance.scenarios import fly_mission_a

pytestmark = [pytest.mark.sitl, pytest.mark.timeout(480)]

MAV_CMD_DO_SET_MODE = 176
MAV_MISSION_TYPE_MISSION, MAV_MISSION_TYPE_FENCE = 0, 1
MAV_MISSION_UNSUPPORTED = 3


@pytest.fixture(scope="module")
def flown(vehicle_target: VehicleTarget) -> ScenarioRun[None]:
    async def script(link: RecordedLink) -> None:
        async with mavsdk_station(link.mavsdk_url) as station:
            await fly_mission_a(station, link, cruise_speed=15.0)

    return vehicle_target.run(script, speed=2.0)


@pytest.fixture(scope="module")
def px4(reference: Callable[[str], WireFacts]) -> WireFacts:
    return reference("mission")


def test_mode_sequence(flown: ScenarioRun[None], px4: WireFacts) -> None:
    assert px4.mode_sequence == [
        "AUTO.LOITER",
        "AUTO.TAKEOFF",
        "AUTO.LOITER",
        "AUTO.MISSION",
        "AUTO.RTL",
        "AUTO.MISSION",
    ]
    assert flown.facts.mode_sequence == px4.mode_sequence


def test_heartbeat_fields_per_phase(flown: ScenarioRun[None], px4: WireFacts) -> None:
    assert heartbeat_phases(flown.facts) == heartbeat_phases(px4)


def test_statustexts(flown: ScenarioRun[None], px4: WireFacts) -> None:
    assert text_sequence(flown.facts) == text_sequence(px4)


def test_texts_are_paced_about_50ms_apart(flown: ScenarioRun[None], px4: WireFacts) -> None:
    """PX4 never sent two STATUSTEXTs closer than 0.049 s (texts queue and go out one per ~50 ms). The
    simulator paces them on its link clock (``sim/clock.py``). A loaded machine delivers a late tick's
    frames in a burst, so each text is placed by frame order between the ATTITUDEs around it
    (``compare.sent_within``): for every two texts in a row, the widest gap the wire allows must reach
    50 ms. Texts sent unpaced, in one tick or the next, leave at most ~40 ms between those bounds and fail."""
    gaps = [b.t - a.t for a, b in itertools.pairwise(px4.statustexts)]
    assert min(gaps) >= 0.04, sorted(gaps)[:3]
    link = flown.link
    sent = sent_within(
        read_tlog(link.tlog), link.boot_to_link(), "STATUSTEXT", repeat_step_s=link.repeat_step_s
    )
    texts: list[SentWithin] = []
    last_id = None
    for text in sent:  # the chunks of one text share its id and go out together
        if text.msg.id != last_id or text.msg.id == 0:
            texts.append(text)
        last_id = text.msg.id
    assert len(texts) == len(flown.facts.statustexts)
    widest = [b.latest - a.earliest for a, b in itertools.pairwise(texts)]
    assert min(widest) >= 0.05 - 1e-6, sorted(widest)[:3]


def test_long_texts_are_chunked_with_one_id(
    flown: ScenarioRun[None], px4: WireFacts, shared_data: Path
) -> None:
    """'RTL: start return at ...' (52 chars): 50 chars + the rest, same id, chunk_seq 0 and 1."""
    for path in (trace_path(shared_data, "mission"), flown.link.tlog):
        frames = [f.msg for f in read_tlog(path, types={"STATUSTEXT"}) if f.sender == (1, 1)]
        chunked = [(a, b) for a, b in itertools.pairwise(frames) if b.chunk_seq == 1]
        assert chunked, f"no chunked STATUSTEXT in {path.name}"
        for first, second in chunked:
            assert first.id == second.id and first.chunk_seq == 0
            assert len(first.text) == 50
            assert (first.text + second.text).startswith("RTL: start return at")
        ids = [m.id for m in frames if m.chunk_seq == 0]
        assert ids == list(range(ids[0], ids[0] + len(ids))), "id must count up by one per text"


def test_heartbeat_is_strictly_periodic(flown: ScenarioRun[None], shared_data: Path) -> None:
    """1 Hz (PX4: 1.009-1.078 s, mean 1.015 s), and no extra HEARTBEAT on a mode or arm change.

    PX4's HEARTBEAT is a 1 Hz mavlink stream scheduled on hrt time (PX4's lockstep clock in SITL), so
    a live PX4 is measured on its own clock (``link_clock``); the trace ran at ~1x real time."""
    cases = [(trace_path(shared_data, "mission"), wall_clock), (flown.link.tlog, flown.link.link_clock())]
    for path, clock in cases:
        times = [clock(f.t) for f in read_tlog(path, types={"HEARTBEAT"}) if f.sender == (1, 1)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) > 0.9 and max(gaps) < 1.2, (path.name, min(gaps), max(gaps))
        assert sum(gaps) / len(gaps) == pytest.approx(1.015, abs=0.02)


def test_landed_state_sequence(flown: ScenarioRun[None], px4: WireFacts) -> None:
    assert [s for _, s in flown.facts.landed_states] == [s for _, s in px4.landed_states] == [1, 3, 2, 4, 1]


def test_start_mission_gets_two_acks(flown: ScenarioRun[None], px4: WireFacts) -> None:
    for facts in (px4, flown.facts):
        acks = acks_of(facts, MAV_CMD_DO_SET_MODE)
        assert [result for _, result in acks] == [0, 0]
        assert acks[1][0] - acks[0][0] < 0.05


def test_first_upload_uses_mission_request_then_int(flown: ScenarioRun[None], px4: WireFacts) -> None:
    """Fence first: MISSION_REQUEST, MAVSDK's ACK UNSUPPORTED, then REQUEST_INT; the mission: INT at once."""
    for facts in (px4, flown.facts):
        fence = uploads(mission_exchange(facts, MAV_MISSION_TYPE_FENCE))[0]
        assert fence[:4] == [
            ("G2V MISSION_COUNT", 5),
            ("V2G MISSION_REQUEST", 0),
            ("G2V MISSION_ACK", MAV_MISSION_UNSUPPORTED),
            ("V2G MISSION_REQUEST_INT", 0),
        ]
        assert fence[-1] == ("V2G MISSION_ACK", 0)
        mission = uploads(mission_exchange(facts, MAV_MISSION_TYPE_MISSION))[0]
        requests = [seq for kind, seq in mission if kind == "V2G MISSION_REQUEST_INT"]
        assert mission[0] == ("G2V MISSION_COUNT", 11)
        assert requests == list(range(11))
        assert "V2G MISSION_REQUEST" not in [kind for kind, _ in mission]
        assert mission[-1] == ("V2G MISSION_ACK", 0)


def test_items_reached_are_the_speed_item_indices(flown: ScenarioRun[None], px4: WireFacts) -> None:
    """With MAVSDK's [WP, DO_CHANGE_SPEED, ...] layout PX4 reports 1,3,5,7,9, never the WP indices."""
    seen = [seq for seq, _ in itertools.groupby(seq for _, seq in flown.facts.items_reached)]
    assert seen == [seq for seq, _ in itertools.groupby(seq for _, seq in px4.items_reached)]


def test_item_reached_repeats_about_1hz_11_times(flown: ScenarioRun[None], px4: WireFacts) -> None:
    """The last item is followed by the whole RTL, so its repetition is complete at any speed.

    mavlink_mission.cpp sends it once at once, then 'another 10 times' on the 1 Hz _slow_rate_limiter
    (MavlinkRateLimiter{1000 * 1000}, hrt time): 11 in all; repeats 2-11 are >= 1 s of PX4 time apart
    and late by at most a mavlink loop (PX4: 0.996-1.019 PX4 s in trace e, the 10 ms of ATTITUDE's
    clock resolution included). The first repeat may come any time within that second."""
    last = px4.items_reached[-1][1]
    assert reached_repeats(px4)[last] == 11
    assert reached_repeats(flown.facts)[last] == 11
    clock = flown.link.link_clock()
    times = [clock(t) for t, seq in flown.facts.items_reached if seq == last]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert 0.0 <= gaps[0] <= JITTERED_SECOND, gaps
    assert_one_second_apart(gaps[1:], last)


# Streams the API link sends in flight (README "API flying", MAVSDK set EXTENDED_SYS_STATE to 1 Hz).
FLYING_STREAMS = (
    "ATTITUDE",
    "HIGHRES_IMU",
    "ATTITUDE_QUATERNION",
    "GLOBAL_POSITION_INT",
    "LOCAL_POSITION_NED",
    "ODOMETRY",
    "ATTITUDE_TARGET",
    "POSITION_TARGET_LOCAL_NED",
    "POSITION_TARGET_GLOBAL_INT",
    "SERVO_OUTPUT_RAW",
    "ALTITUDE",
    "TIMESYNC",
    "DISTANCE_SENSOR",
    "VFR_HUD",
    "GPS_RAW_INT",
    "SYS_STATUS",
    "EXTENDED_SYS_STATE",
    "HEARTBEAT",
    "MISSION_CURRENT",
)


def test_rates_in_flight_within_5_percent(
    flown: ScenarioRun[None], px4: WireFacts, shared_data: Path
) -> None:
    """Stream rates are wall-clock, so the fast-forwarded cruise must still stream at PX4's rates."""
    mission_phase = [hb.t for hb in flown.facts.heartbeats if hb.mode == "AUTO.MISSION"]
    rtl = [hb.t for hb in flown.facts.heartbeats if hb.mode == "AUTO.RTL"]
    start, end = mission_phase[0] + 1.0, rtl[0] - 0.5
    assert end - start > 5.0, "the simulated cruise was too short to measure rates"
    sim = extract_facts(within(read_tlog(flown.link.tlog), start, end))
    t0 = px4.first_t
    ref = extract_facts(within(read_tlog(trace_path(shared_data, "mission")), t0 + 40.0, t0 + 190.0))
    # PX4 schedules each stream on hrt time (MavlinkStream::update), its lockstep clock in SITL: a live
    # PX4 slower than real time sends fewer frames per wall second, as many per second of its own time.
    clock = flown.link.link_clock()
    window = clock(end) - clock(start)
    for name in FLYING_STREAMS:
        ref_hz = ref.counts[name] / 150.0
        expected = ref_hz * window
        tolerance = max(1.0, 0.05 * expected)
        assert abs(sim.counts[name] - expected) <= tolerance, (
            f"{name}: {sim.counts[name]} in {window:.1f} s = {sim.counts[name] / window:.2f} Hz, "
            f"PX4 {ref_hz:.2f} Hz"
        )


def test_vehicle_sends_its_own_commands_to_component_0(flown: ScenarioRun[None], shared_data: Path) -> None:
    """PX4 sends COMMAND_LONG to 1/0 and, since nobody ACKs, repeats each with confirmation 0..3:
    DO_CHANGE_SPEED(178) per speed item, NAV_RETURN_TO_LAUNCH(20) at the RTL item, DO_TRIGGER_CONTROL
    (2003) and gimbal-manager 1000/1001 on entering RTL, command 0 at 'Landing detected'. A ground
    station must ignore them; the simulator must send them so that this is tested."""
    px4 = vehicle_commands(read_tlog(trace_path(shared_data, "mission"), types={"COMMAND_LONG"}))
    sim = vehicle_commands(read_tlog(flown.link.tlog, types={"COMMAND_LONG"}))
    assert {(m.command, m.target_system, m.target_component) for m in px4} == {
        (178, 1, 0), (20, 1, 0), (2003, 1, 0), (1000, 1, 0), (1001, 1, 0), (0, 1, 0)
    }  # fmt: skip
    assert {(m.command, m.target_system, m.target_component) for m in sim} == {
        (m.command, m.target_system, m.target_component) for m in px4
    }
    for command in (178, 0):
        assert {m.confirmation for m in px4 if m.command == command} == {0, 1, 2, 3}
        assert {m.confirmation for m in sim if m.command == command} == {0, 1, 2, 3}


def test_own_commands_and_their_repeats_match_px4(flown: ScenarioRun[None], shared_data: Path) -> None:
    """Exact params, and which ones are repeated: of the commands one navigator cycle publishes only the
    first (DO_CHANGE_SPEED before NAV_RETURN_TO_LAUNCH, DO_TRIGGER_CONTROL before the gimbal's)."""
    px4 = vehicle_commands(read_tlog(trace_path(shared_data, "mission"), types={"COMMAND_LONG"}))
    sim = vehicle_commands(read_tlog(flown.link.tlog, types={"COMMAND_LONG"}))
    assert self_command_sends(sim) == self_command_sends(px4)


def test_own_command_repeats_are_about_1_s_then_0_5_s_apart(
    flown: ScenarioRun[None], shared_data: Path
) -> None:
    """DO_CHANGE_SPEED's confirmation 1 follows ~1.02 s after 0, then 2 and 3 ~0.515 s apart (wall clock).
    PX4's median gaps give the expectation; its last group is bunched (a 4 ms gap) when RTL starts."""
    expected = {1: 1.02, 2: 0.515, 3: 0.515}
    px4 = retry_gaps(read_tlog(trace_path(shared_data, "mission"), types={"COMMAND_LONG"}), 178)
    for confirmation, seconds in expected.items():
        assert statistics.median(px4[confirmation]) == pytest.approx(seconds, abs=0.02)
    # mavlink_command_sender.cpp retransmits once hrt_elapsed_time > TIMEOUT_US (500000 us of PX4 time),
    # checked every mavlink loop; the first retry waits for the other instance's timer too (~1.02 s). So
    # on PX4's own clock the gaps are the trace's, +- a loop and the clock's 10 ms resolution (0.06 s).
    # A retry round is led by whichever mavlink channel gets there first (it resets the timer); a channel
    # that lagged behind catches up in its next loop pass ("We are behind and need to do a
    # retransmission"). So on live PX4 our link's copy of a round is 0.5 s (TIMEOUT_US) after the last,
    # ~1 s when a round passed it by (the trace's first retry), or bunched right after a late one. Live
    # PX4 showed all three: 1.01/0.004/0.51 s for confirmation 1, 0.51/0.51/0.005 s for 2.
    sim = retry_gaps(read_tlog(flown.link.tlog, types={"COMMAND_LONG"}), 178, flown.link.link_clock())
    assert sorted(sim) == [1, 2, 3]
    for confirmation, gaps in sim.items():
        assert len(gaps) == 5
        if flown.link.kind == TargetKind.PX4:
            allowed = (0.0, 0.515, 1.02)
            assert all(any(abs(gap - a) <= 0.06 for a in allowed) for gap in gaps), gaps
        else:
            assert all(gap == pytest.approx(expected[confirmation], abs=0.06) for gap in gaps), gaps
