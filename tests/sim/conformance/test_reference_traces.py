"""The fact extractor read against the real PX4 v1.16 SITL traces: what the simulator must reproduce.

If these fail, the extractor is wrong, and every conformance comparison built on it would be meaningless.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from sim.trace_facts import WireFacts, extract_facts, px4_mode_name, read_tlog


def _facts(shared_data: Path, name: str) -> WireFacts:
    path = shared_data / "flightlogs" / "px4_sitl" / f"px4_sih_{name}.tlog"
    if not path.exists():
        pytest.skip(f"PX4 reference trace {path} not present")
    return extract_facts(read_tlog(path))


@pytest.fixture(scope="module")
def mission(shared_data: Path) -> WireFacts:
    return _facts(shared_data, "mission")


def test_px4_mode_names_decode_custom_mode() -> None:
    assert px4_mode_name(0x03040000) == "AUTO.LOITER"
    assert px4_mode_name(0x04040000) == "AUTO.MISSION"
    assert px4_mode_name(0x00030000) == "POSCTL"


def test_mission_trace_mode_sequence(mission: WireFacts) -> None:
    assert mission.mode_sequence == [
        "AUTO.LOITER",
        "AUTO.TAKEOFF",
        "AUTO.LOITER",
        "AUTO.MISSION",
        "AUTO.RTL",
        "AUTO.MISSION",
    ]


def test_mission_trace_heartbeat_fields(mission: WireFacts) -> None:
    first, ready = mission.heartbeats[0], mission.heartbeats[1]
    assert (first.base_mode, first.system_status) == (0x1D, 0)
    assert (ready.base_mode, ready.system_status) == (0x1D, 3)
    armed = [hb for hb in mission.heartbeats if hb.base_mode & 0x80]
    assert armed and all(hb.base_mode == 0x9D and hb.system_status == 4 for hb in armed)


def test_mission_trace_texts_are_joined_and_tab_suffixed(mission: WireFacts) -> None:
    texts = mission.texts()
    assert "RTL: start return at 471 m (40 m above destination)\t" in texts
    assert "Armed by external command\t" in texts


def test_mission_trace_double_set_mode_ack_and_rates(mission: WireFacts) -> None:
    set_mode_acks = [a for a in mission.acks if a[1] == 176]
    assert len(set_mode_acks) == 2 and set_mode_acks[1][0] - set_mode_acks[0][0] < 0.05
    assert mission.rate_hz("HEARTBEAT") == pytest.approx(1.0, rel=0.05)
    assert mission.rate_hz("GLOBAL_POSITION_INT") == pytest.approx(49, rel=0.05)
    assert {seq for _, seq in mission.items_reached} == {1, 3, 5, 7, 9}


def test_protocol_edges_trace_stalled_upload(shared_data: Path) -> None:
    facts = _facts(shared_data, "protocol_edges")
    request_kinds = ("V2G MISSION_REQUEST", "V2G MISSION_REQUEST_INT")
    requests = [(t, kind) for t, kind, _ in facts.mission if kind in request_kinds]
    # The first stalled upload: MISSION_REQUEST (non-INT) seq 0 repeated 19 times ~0.27 s apart.
    first_burst = [t for t, kind in requests if kind == "V2G MISSION_REQUEST"][:19]
    assert len(first_burst) == 19
    gaps = [b - a for a, b in itertools.pairwise(first_burst)]
    assert all(0.2 < g < 0.35 for g in gaps)
    assert "Operation timeout\t" in facts.texts()


def test_type_filter_reads_the_same_frames(shared_data: Path) -> None:
    """The msgid pre-filter of ``read_tlog`` must not lose or invent frames."""
    path = shared_data / "flightlogs" / "px4_sitl" / "px4_sih_protocol_edges.tlog"
    if not path.exists():
        pytest.skip(f"PX4 reference trace {path} not present")
    wanted = {"HEARTBEAT", "STATUSTEXT", "MISSION_REQUEST"}
    everything = [f for f in read_tlog(path) if f.msg.get_type() in wanted]
    filtered = list(read_tlog(path, types=wanted))
    assert [(f.t, f.msg.get_type()) for f in filtered] == [(f.t, f.msg.get_type()) for f in everything]
    assert len(filtered) > 150


def test_geofence_trace_param_echo_is_bytewise(shared_data: Path) -> None:
    facts = _facts(shared_data, "geofence_breach")
    sets = [p for p in facts.params if not p.from_vehicle and p.name == "GF_ACTION"]
    echo = next(p for p in facts.params if p.from_vehicle and p.name == "GF_ACTION" and p.t >= sets[0].t)
    assert sets[0].bytewise_int == echo.bytewise_int == 3
    assert echo.param_type == 6 and echo.value < 1e-40  # 4.2e-45: the int's bytes read as a float


def test_link_loss_trace_gcs_heartbeats_stop_in_blackouts(shared_data: Path) -> None:
    facts = _facts(shared_data, "link_loss")
    gaps = sorted(b - a for a, b in itertools.pairwise(facts.gcs_heartbeats))
    assert len([g for g in gaps if g > 10.0]) == 2  # the two blackouts (MAVSDK stops heartbeating)
    assert gaps[len(gaps) // 2] == pytest.approx(1.0, abs=0.05)
