"""STATUSTEXT is only sent on a link after a GCS HEARTBEAT has been seen there: PX4's Normal link with
nobody connected (``px4_sih_gcs_link_idle.tlog``, 30 s) carried no STATUSTEXT at all, although the
vehicle booted and logged meanwhile. Once a GCS heartbeats, texts flow (trace d)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sim.trace_facts import extract_facts, read_tlog
from tests.sim.conformance.conftest import RecordedLink, ScenarioRun, VehicleTarget, trace_path
from tests.sim.conformance.raw_gcs import is_text, is_type, raw_gcs

pytestmark = [pytest.mark.sitl, pytest.mark.timeout(120)]

SILENT_S = 5.0
MAV_CMD_COMPONENT_ARM_DISARM = 400


@pytest.fixture(scope="module")
def gated(vehicle_target: VehicleTarget) -> ScenarioRun[tuple[int, int, bool]]:
    async def script(link: RecordedLink) -> tuple[int, int, bool]:
        async with raw_gcs(link.station_port) as gcs:
            gcs.heartbeats_on = False
            heard = await gcs.wait_for(is_type("HEARTBEAT"), 20.0)
            assert heard is not None, "no HEARTBEAT from the vehicle"
            await asyncio.sleep(SILENT_S)
            silent_texts = len(gcs.seen(is_type("STATUSTEXT")))
            silent_frames = len(gcs.received)
            gcs.heartbeats_on = True
            ready = await gcs.wait_for(
                lambda m: m.get_type() == "HEARTBEAT" and m.system_status == 3, 30.0, gcs.mark()
            )
            assert ready is not None, "the vehicle never became ready"
            since = gcs.mark()
            gcs.command_long(MAV_CMD_COMPONENT_ARM_DISARM, 1)
            armed = await gcs.wait_for(is_text("Armed by external command\t"), 1.0, since)
            gcs.command_long(MAV_CMD_COMPONENT_ARM_DISARM, 0)
            await asyncio.sleep(0.5)
        return silent_texts, silent_frames, armed is not None

    return vehicle_target.run(script, speed=1.0)


def test_no_statustext_before_a_gcs_heartbeat(
    gated: ScenarioRun[tuple[int, int, bool]], shared_data: Path
) -> None:
    idle = extract_facts(read_tlog(trace_path(shared_data, "gcs_link_idle")))
    assert idle.counts["STATUSTEXT"] == 0 and idle.counts["HEARTBEAT"] > 25
    silent_texts, silent_frames, _ = gated.value
    assert silent_frames > 1000, "the vehicle was not streaming while no GCS heartbeat came"
    assert silent_texts == 0


def test_texts_flow_once_the_gcs_heartbeats(gated: ScenarioRun[tuple[int, int, bool]]) -> None:
    assert gated.value[2], "no 'Armed by external command' after the GCS started heartbeating"
