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
