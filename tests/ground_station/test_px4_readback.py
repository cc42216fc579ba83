"""Verification compares what the vehicle will fly, not how PX4 re-encodes it (issue: real PX4 refused
every upload with "frame approved 0, vehicle has 5")."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from ground_station.vehicles.px4_readback import (
    MISSION_TYPE_FENCE,
    MISSION_TYPE_MISSION,
    MISSION_TYPE_RALLY,
    plan_differences,
)
from missions.formats.mavlink_items import MissionItemInt

NAN = math.nan
TYPES = {"fence": MISSION_TYPE_FENCE, "rally": MISSION_TYPE_RALLY, "mission": MISSION_TYPE_MISSION}


def _value(cell: object) -> float:
    return NAN if cell == "NaN" else float(cell)  # type: ignore[arg-type]


def _item(row: dict[str, dict[str, object]], side: str, seq: int, mission_type: int) -> MissionItemInt:
    def get(name: str) -> object:
        return row[name][side]

    return MissionItemInt(
        seq,
        int(get("frame")),  # type: ignore[arg-type]
        int(get("command")),  # type: ignore[arg-type]
        int(get("current")),  # type: ignore[arg-type]
        int(get("autocontinue")),  # type: ignore[arg-type]
        _value(get("param1")),
        _value(get("param2")),
        _value(get("param3")),
        _value(get("param4")),
        int(get("x")),  # type: ignore[arg-type]
        int(get("y")),  # type: ignore[arg-type]
        _value(get("z")),
        mission_type,
    )


@pytest.mark.parametrize("trace", ["px4_sih_upload_readback_start", "px4_sih_upload_readback_start_b"])
def test_px4_v1_16_readback_of_trace_e_matches_what_was_sent(shared_data: Path, trace: str) -> None:
    """Real PX4 returned fence 0 -> 5 with autocontinue 0, mission/rally 3 -> 6, current=1 on seq 0."""
    facts_path = shared_data / "flightlogs" / "px4_sitl" / "sidecar" / f"{trace}_facts.json"
    if not facts_path.exists():
        pytest.skip(f"{facts_path} not found (trace e of the PX4 reference data)")
    readback = json.loads(facts_path.read_text())["readback"]
    for name, mission_type in TYPES.items():
        rows = readback[name]["items"]
        sent = [_item(row, "sent", i, mission_type) for i, row in enumerate(rows)]
        read = [_item(row, "read", i, mission_type) for i, row in enumerate(rows)]
        assert any(a.frame != b.frame for a, b in zip(sent, read, strict=True))  # PX4 did re-encode
        assert plan_differences(sent, read, mission_type) == [], name


def wp(frame: int = 3, **changes: object) -> MissionItemInt:
    item = MissionItemInt(0, frame, 16, 0, 1, 0.0, 2.0, 0.0, NAN, 502296737, 172039468, 30.0)
    return replace(item, **changes)  # type: ignore[arg-type]


def fence_vertex(**changes: object) -> MissionItemInt:
    item = MissionItemInt(0, 0, 5001, 0, 1, 4.0, 0.0, 0.0, 0.0, 502316949, 172050000, 0.0, 1)
    return replace(item, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("approved", "on_vehicle"),
    [
        (wp(frame=3), wp(frame=6)),  # relative altitude in its _INT form
        (wp(frame=0), wp(frame=5)),  # AMSL in its _INT form
        (wp(frame=10), wp(frame=11)),  # terrain in its _INT form
        (wp(), wp(current=1)),  # current is the vehicle's pointer, not the plan
        (wp(x=502296737), wp(x=502296738)),  # one unit of 1e-7 degree
        (wp(param4=-90.0), wp(param4=270.0)),  # PX4 keeps yaw wrapped into 0..360
        (wp(param3=5.0), wp(param3=0.0)),  # a multicopter waypoint's param3 is not kept by PX4
        (fence_vertex(), fence_vertex(frame=5, autocontinue=0)),
        (fence_vertex(frame=3, z=12.0), fence_vertex(frame=5, z=0.0)),  # PX4's fence is 2-D
        (fence_vertex(param1=4.0), fence_vertex(param1=4.2)),  # vertex count kept as uint16(p1 + 0.5)
    ],
)
def test_equivalent_encodings_are_the_same_plan(approved: MissionItemInt, on_vehicle: MissionItemInt) -> None:
    mission_type = approved.mission_type
    assert plan_differences([approved], [on_vehicle], mission_type) == []


@pytest.mark.parametrize(
    ("approved", "on_vehicle", "field"),
    [
        (wp(frame=3), wp(frame=5), "frame"),  # relative became absolute: hundreds of metres off
        (wp(frame=3), wp(frame=2), "frame"),
        (wp(command=16), wp(command=17), "command"),
        (wp(x=502296737), wp(x=502296739), "x (latitude 1e-7 deg)"),
        (wp(y=172039468), wp(y=172039400), "y (longitude 1e-7 deg)"),
        (wp(z=30.0), wp(z=55.0), "z (altitude m)"),
        (wp(param1=0.0), wp(param1=10.0), "param1"),  # hold time
        (wp(param2=2.0), wp(param2=20.0), "param2"),  # acceptance radius
        (wp(param4=NAN), wp(param4=0.0), "param4"),  # "keep heading" became "face north"
        (wp(autocontinue=1), wp(autocontinue=0), "autocontinue"),
        (fence_vertex(), fence_vertex(x=502316000), "x (latitude 1e-7 deg)"),
        (fence_vertex(param1=4.0), fence_vertex(param1=5.0), "param1"),
        (fence_vertex(), fence_vertex(command=5002), "command"),  # inclusion became exclusion
        (fence_vertex(), fence_vertex(frame=2), "frame"),
    ],
)
def test_every_real_difference_is_reported(
    approved: MissionItemInt, on_vehicle: MissionItemInt, field: str
) -> None:
    diffs = plan_differences([approved], [on_vehicle], approved.mission_type)
    assert [d.field for d in diffs] == [field]
    assert str(diffs[0]).startswith("item 0:")


def test_mission_frame_items_keep_every_param_and_count_must_match() -> None:
    speed = MissionItemInt(0, 2, 178, 0, 1, 1.0, 8.0, -1.0, 0.0, 0, 0, 0.0)
    assert plan_differences([speed], [speed], MISSION_TYPE_MISSION) == []
    assert [d.field for d in plan_differences([speed], [replace(speed, param2=5.0)], 0)] == ["param2"]
    assert [d.field for d in plan_differences([speed, speed], [speed], 0)] == ["item count"]


def test_a_positional_command_px4_knows_nothing_about_is_compared_in_full() -> None:
    unknown = MissionItemInt(0, 3, 82, 0, 1, 1.0, 2.0, 3.0, 4.0, 1, 2, 3.0)
    assert [d.field for d in plan_differences([unknown], [replace(unknown, param3=0.0)], 0)] == ["param3"]
