"""The vehicle's COMMAND_LONGs to its own system: grouping, repeats on the wall clock, and the flight
events that trigger them, without a network (the conformance suite compares them with the traces)."""

from __future__ import annotations

import asyncio
import math

import pytest
from pymavlink.dialects.v20 import common as mavlink

from sim.flight import RtlSource
from sim.geo import GeoPoint
from sim.px4_modes import FlightMode
from sim.self_commands import (
    RETRY_DELAYS_S,
    NavigatorCycle,
    OnboardCommandId,
    SelfCommandSender,
    gimbal_handover,
    landed_after_rtl,
    mission_speed_change,
    mission_stopped,
)
from sim.terrain_source import FlatGround
from sim.vehicle import Vehicle, VehicleConfig
from sim.wind import WindField
from tests.sim.helpers import HOME_ALT, HOME_LAT, HOME_LON, RawGcs


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _sender(system_id: int = 7) -> tuple[SelfCommandSender, ManualClock, list[mavlink.MAVLink_message]]:
    clock = ManualClock()
    sent: list[mavlink.MAVLink_message] = []
    encoder = mavlink.MAVLink(None, srcSystem=system_id, srcComponent=1)
    return SelfCommandSender(encoder, sent.append, system_id, clock), clock, sent


def _roundtrip(msg: mavlink.MAVLink_message) -> mavlink.MAVLink_command_long_message:
    """Packs and parses, so that what is checked is what goes on the wire."""
    encoder = mavlink.MAVLink(None, srcSystem=msg.get_srcSystem(), srcComponent=msg.get_srcComponent())
    parsed = mavlink.MAVLink(None).decode(bytearray(msg.pack(encoder)))
    assert isinstance(parsed, mavlink.MAVLink_command_long_message)
    return parsed


def test_commands_go_to_own_system_component_0_with_their_params() -> None:
    sender, _, sent = _sender(system_id=7)
    sender.issue([landed_after_rtl(430.25)], NavigatorCycle.CURRENT)
    assert sent == []  # nothing before the tick
    sender.tick()
    (msg,) = [_roundtrip(m) for m in sent]
    assert (msg.target_system, msg.target_component, msg.command, msg.confirmation) == (7, 0, 0, 0)
    assert (msg.param1, msg.param2, msg.param3) == (0.0, 2.0, 80.0)
    assert math.isnan(msg.param4) and msg.param7 == 430.25


def test_only_the_first_of_a_group_is_repeated_with_confirmation_1_to_3_on_the_wall_clock() -> None:
    sender, clock, sent = _sender()
    sender.issue(gimbal_handover(), NavigatorCycle.CURRENT)
    sender.tick()
    assert [m.confirmation for m in sent] == [0, 0, 0]
    expected_times = [100.0 + sum(RETRY_DELAYS_S[: i + 1]) for i in range(3)]
    repeats: list[tuple[float, int, float]] = []
    while clock.now < 105.0:
        clock.now = round(clock.now + 0.01, 2)
        before = len(sent)
        sender.tick()
        repeats += [(clock.now, m.confirmation, m.param1) for m in sent[before:]]
    assert [(c, p1) for _, c, p1 in repeats] == [(1, 1.0), (2, 1.0), (3, 1.0)]  # CONFIGURE(1,1) only
    for (at, _, _), expected in zip(repeats, expected_times, strict=True):
        assert abs(at - expected) < 0.011
    assert sender.pending == 0


def test_next_cycle_commands_form_a_later_group_of_their_own() -> None:
    sender, clock, sent = _sender()
    sender.issue([mission_speed_change(1.0, 10.0, -1.0, 0.0)], NavigatorCycle.CURRENT)
    sender.issue(mission_stopped(), NavigatorCycle.NEXT)
    sender.tick()
    assert [m.command for m in sent] == [OnboardCommandId.DO_CHANGE_SPEED]
    sender.tick()
    assert [m.command for m in sent[1:]] == [
        OnboardCommandId.DO_TRIGGER_CONTROL,
        OnboardCommandId.DO_GIMBAL_MANAGER_PITCHYAW,
        OnboardCommandId.DO_GIMBAL_MANAGER_CONFIGURE,
    ]
    clock.now += 10.0
    for _ in range(3):
        sender.tick()
        clock.now += 1.0
    repeated = sorted((m.command, m.confirmation) for m in sent if m.confirmation > 0)
    assert repeated == sorted(
        [(OnboardCommandId.DO_CHANGE_SPEED, c) for c in (1, 2, 3)]
        + [(OnboardCommandId.DO_TRIGGER_CONTROL, c) for c in (1, 2, 3)]
    )


async def _vehicle_and_gcs(clock: ManualClock) -> tuple[Vehicle, RawGcs]:
    gcs = RawGcs()
    config = VehicleConfig("sim-1", GeoPoint(HOME_LON, HOME_LAT, HOME_ALT), ("127.0.0.1", gcs.port))
    vehicle = Vehicle(config, FlatGround(HOME_ALT), WindField(), wall_clock=clock)
    await vehicle.start()
    return vehicle, gcs


async def _commands_received(gcs: RawGcs) -> list[mavlink.MAVLink_command_long_message]:
    await asyncio.sleep(0.05)
    gcs.pump()
    return [m for _, m in gcs.received if m.get_type() == "COMMAND_LONG"]


@pytest.mark.timeout(10)
async def test_leaving_a_mission_in_flight_for_rtl_stops_it_then_hands_the_gimbal_over() -> None:
    clock = ManualClock()
    vehicle, gcs = await _vehicle_and_gcs(clock)
    try:
        flight = vehicle.flight
        flight.armed = True
        flight.mode = FlightMode.MISSION
        flight.set_mode(FlightMode.RTL)
        vehicle.self_commands.tick()
        assert await _commands_received(gcs) == []  # the navigator reacts one cycle later
        vehicle.self_commands.tick()
        received = await _commands_received(gcs)
        assert [(m.command, m.param1, m.param5) for m in received if not math.isnan(m.param1)] == [
            (c.command, c.params[0], c.params[4])
            for c in mission_stopped() + gimbal_handover()
            if not math.isnan(c.params[0])
        ]
        assert [m.command for m in received] == [c.command for c in mission_stopped() + gimbal_handover()]
        assert all((m.target_system, m.target_component, m.confirmation) == (1, 0, 0) for m in received)
    finally:
        vehicle.close()
        gcs.close()


@pytest.mark.timeout(10)
async def test_no_commands_when_disarmed_not_leaving_a_mission_or_already_returning() -> None:
    clock = ManualClock()
    vehicle, gcs = await _vehicle_and_gcs(clock)
    try:
        flight = vehicle.flight
        flight.mode = FlightMode.MISSION
        flight.set_mode(FlightMode.LOITER)  # disarmed: PX4 sent nothing after landing in trace a
        flight.armed = True
        flight.set_mode(FlightMode.POSCTL)
        flight.mode = FlightMode.RTL
        flight.rtl(RtlSource.FAILSAFE)  # already returning: PX4's RTL does not start again
        for _ in range(2):
            vehicle.self_commands.tick()
        assert vehicle.self_commands.pending == 0
        assert await _commands_received(gcs) == []
    finally:
        vehicle.close()
        gcs.close()
