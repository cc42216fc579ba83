"""Replaying real PX4 SITL tlogs as live vehicles into the station core (real UDP)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    FlightEventKind,
    FlightEventMsg,
    StatusMsg,
    VehicleState,
)
from ground_station.links.router import RouterOptions
from ground_station.replay import replay_tlog, vehicle_system_ids
from ground_station.tlog import TlogError, TlogWriter, iter_tlog
from ground_station.vehicles import StationCore, StationVehicle
from tests.waiting import until

pytestmark = pytest.mark.timeout(90)


def px4_log(shared_data: Path, name: str) -> Path:
    path = shared_data / "flightlogs" / "px4_sitl" / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path


def cut(source: Path, target: Path, start_s: float, end_s: float) -> Path:
    """The records between start_s and end_s after the first one (a real excerpt, timing kept)."""
    writer = TlogWriter(target)
    first: int | None = None
    for record in iter_tlog(source):
        first = record.time_us if first is None else first
        offset_s = (record.time_us - first) / 1e6
        if offset_s > end_s:
            break
        if offset_s >= start_s:
            writer.write(record.time_us, record.frame)
    writer.close()
    return target


async def replay_into_station(
    tlog: Path, tmp_path: Path, speed: float, done: Callable[[list[object]], bool]
) -> tuple[StationCore, list[object]]:
    """Replays ``tlog`` into a station core and collects its bus messages until ``done`` says the ones the
    test needs have arrived (waiting on them, not on a guessed time after the replay)."""
    core = StationCore(
        [StationVehicle("px4-1", "udpin://127.0.0.1:0")],
        tlog_dir=tmp_path / "tlogs",
        command_links=False,
        router_options=RouterOptions(relay_to_mavsdk=False, max_frames_per_s=20_000),
    )
    await core.start()
    everything = core.bus.subscribe(">", maxsize=500_000)
    address = core.router_for("px4-1").local_address
    assert address is not None
    report = await replay_tlog(tlog, f"udpout://127.0.0.1:{address[1]}", speed=speed)
    assert report.vehicle_system_ids == (1,)
    assert report.frames_sent > 1000
    messages: list[object] = []

    def arrived() -> bool:
        messages.extend(m for _, m in everything.drain())
        return done(messages)

    await until(arrived, "the replayed flight's messages")
    await core.stop()
    return core, messages


def took_off_in_mission(messages: list[object]) -> bool:
    modes = {m.flight_mode for m in messages if isinstance(m, StatusMsg)}
    events = {m.kind for m in messages if isinstance(m, FlightEventMsg)}
    return "AUTO.MISSION" in modes and FlightEventKind.TOOK_OFF in events


def two_failsafe_alerts(messages: list[object]) -> bool:
    """The monitor raises them on its passes (batched and 1 Hz), after the status texts arrive."""
    failsafes = [m for m in messages if isinstance(m, AlertMsg) and m.kind is AlertKind.FAILSAFE and m.active]
    return len(failsafes) >= 2


async def test_mission_takeoff_replays_as_a_live_vehicle(shared_data: Path, tmp_path: Path) -> None:
    excerpt = cut(px4_log(shared_data, "px4_sih_mission.tlog"), tmp_path / "takeoff.tlog", 0.0, 20.0)
    _, messages = await replay_into_station(excerpt, tmp_path, speed=4.0, done=took_off_in_mission)
    statuses = [m for m in messages if isinstance(m, StatusMsg)]
    assert statuses and statuses[-1].firmware_version == "1.16.0 (6ea3539157)"
    assert statuses[-1].autopilot == "PX4"
    assert statuses[-1].home_lat == pytest.approx(50.229, abs=1e-4)
    modes = [s.flight_mode for s in statuses]
    assert {"AUTO.LOITER", "AUTO.TAKEOFF", "AUTO.MISSION"} <= set(modes)
    states = [s.state for s in statuses]
    assert (
        states.index(VehicleState.CONNECTED)
        < states.index(VehicleState.ARMED)
        < states.index(VehicleState.IN_AIR)
    )
    events = [m.kind for m in messages if isinstance(m, FlightEventMsg)]
    assert FlightEventKind.FLIGHT_STARTED in events and FlightEventKind.TOOK_OFF in events
    recorded = list((tmp_path / "tlogs" / "px4-1").glob("*.tlog"))
    assert len(recorded) == 1 and recorded[0].stat().st_size > 10_000  # the replayed flight got its own tlog


async def test_geofence_breach_failsafe_raises_alerts(shared_data: Path, tmp_path: Path) -> None:
    excerpt = cut(px4_log(shared_data, "px4_sih_geofence_breach.tlog"), tmp_path / "breach.tlog", 66.0, 84.0)
    _, messages = await replay_into_station(excerpt, tmp_path, speed=3.0, done=two_failsafe_alerts)
    alerts = [m for m in messages if isinstance(m, AlertMsg) and m.kind is AlertKind.FAILSAFE and m.active]
    assert [a.messages.en.split("mode ")[1].split(" ")[0] for a in alerts] == ["AUTO.LOITER", "AUTO.RTL"]
    assert any("Failsafe activated" in a.message for a in alerts)
    started = [
        m for m in messages if isinstance(m, FlightEventMsg) and m.kind is FlightEventKind.FLIGHT_STARTED
    ]
    assert started and started[0].detail is not None  # joined mid-flight: the vehicle was already armed


def test_only_the_vehicle_side_is_replayed(shared_data: Path) -> None:
    assert vehicle_system_ids(px4_log(shared_data, "px4_sih_protocol_edges.tlog")) == {1}


async def test_bad_replay_inputs_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tlog"
    empty.write_bytes(b"")
    with pytest.raises(TlogError, match="no autopilot HEARTBEAT"):
        await replay_tlog(empty, "127.0.0.1:9")
    with pytest.raises(ValueError, match="positive"):
        await replay_tlog(empty, "127.0.0.1:9", speed=0)
    with pytest.raises(ValueError, match="UDP"):
        await replay_tlog(empty, "tcp://127.0.0.1:9")
