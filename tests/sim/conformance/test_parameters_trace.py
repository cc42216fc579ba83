"""Every parameter PX4 sent in the reference traces must exist on the vehicle with PX4's type and
default value, read over the wire with PARAM_REQUEST_READ (INT32 bytewise-encoded, like PX4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.trace_facts import ParamFrame, extract_facts, read_tlog
from tests.sim.conformance.conftest import RecordedLink, ScenarioRun, VehicleTarget, trace_path
from tests.sim.conformance.raw_gcs import Predicate, raw_gcs

pytestmark = [pytest.mark.sitl, pytest.mark.timeout(120)]

TRACES = ("mission", "geofence_breach", "link_loss", "protocol_edges")
MAV_PARAM_TYPE_INT32 = 6
MAV_STATE_STANDBY = 3
# Per-instance sensor calibration and flight statistics of the SITL that recorded the traces: not
# defaults, nothing a ground station relies on.
INSTANCE_SPECIFIC = ("CAL_", "SENS_BOARD_", "SENS_DPRES_OFF", "LND_FLIGHT_T_", "COM_FLIGHT_UUID")


def _value(frame: ParamFrame) -> float:
    return float(frame.bytewise_int) if frame.param_type == MAV_PARAM_TYPE_INT32 else frame.value


@pytest.fixture(scope="module")
def px4_defaults(shared_data: Path) -> dict[str, ParamFrame]:
    """The first PARAM_VALUE of each name in the traces: PX4's default after a clean start."""
    first: dict[str, ParamFrame] = {}
    for name in TRACES:
        facts = extract_facts(read_tlog(trace_path(shared_data, name), types={"PARAM_VALUE"}))
        for frame in facts.params:
            if frame.from_vehicle and not frame.name.startswith(INSTANCE_SPECIFIC):
                first.setdefault(frame.name, frame)
    return first


def _param_named(name: str) -> Predicate:
    return lambda msg: msg.get_type() == "PARAM_VALUE" and msg.param_id == name


@pytest.fixture(scope="module")
def read_back(
    vehicle_target: VehicleTarget, px4_defaults: dict[str, ParamFrame]
) -> ScenarioRun[dict[str, tuple[int, float] | None]]:
    async def script(link: RecordedLink) -> dict[str, tuple[int, float] | None]:
        values: dict[str, tuple[int, float] | None] = {}
        async with raw_gcs(link.station_port) as gcs:
            ready = await gcs.wait_for(
                lambda m: m.get_type() == "HEARTBEAT" and m.system_status == MAV_STATE_STANDBY, 30.0
            )
            assert ready is not None, "the vehicle never became ready"
            for name in sorted(px4_defaults):
                since = gcs.mark()
                gcs.send(gcs.mav.param_request_read_encode(1, 1, name.encode(), -1))
                got = await gcs.wait_for(_param_named(name), 1.0, since)
                values[name] = None if got is None else (got.msg.param_type, got.msg.param_value)
        return values

    return vehicle_target.run(script)


def test_trace_parameters_exist_with_px4_type_and_default(
    read_back: ScenarioRun[dict[str, tuple[int, float] | None]], px4_defaults: dict[str, ParamFrame]
) -> None:
    assert len(px4_defaults) > 30
    problems = []
    for name, px4 in sorted(px4_defaults.items()):
        got = read_back.value[name]
        if got is None:
            problems.append(f"{name}: no PARAM_VALUE (PX4: type {px4.param_type}, {_value(px4):g})")
            continue
        sim = ParamFrame(0.0, True, name, got[1], got[0])
        if sim.param_type != px4.param_type or abs(_value(sim) - _value(px4)) > 1e-4 * max(
            1.0, abs(_value(px4))
        ):
            problems.append(
                f"{name}: type {sim.param_type} value {_value(sim):g}; "
                f"PX4 type {px4.param_type} {_value(px4):g}"
            )
    assert not problems, problems
