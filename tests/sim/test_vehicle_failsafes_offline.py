"""Battery, GPS and motor failures stepped without any network: the world is advanced tick by tick, so
these run in well under a second of wall time each."""

from __future__ import annotations

from sim.commands import FailureType, FailureUnit
from sim.px4_modes import FlightMode, LandedState
from sim.scenario import Scenario
from sim.terrain_source import FlatGround
from sim.world import World, WorldPorts
from tests.sim.helpers import HOME_ALT, HOME_LAT, HOME_LON


def _world(params: dict[str, float], remaining: float = 1.0) -> World:
    scenario = Scenario.model_validate(
        {
            "name": "offline",
            "vehicles": [
                {
                    "slug": "sim-1",
                    "home": {"lon": HOME_LON, "lat": HOME_LAT, "alt_amsl_m": HOME_ALT},
                    "battery": {"initial_remaining": remaining},
                    "params": params,
                }
            ],
        }
    )
    return World(scenario, FlatGround(HOME_ALT), speed=1.0, ports=WorldPorts(gcs_ports=(9,)))


def _airborne_far_away(world: World) -> None:
    vehicle = world.vehicles["sim-1"]
    for _ in range(400):
        world.step()
    vehicle.flight.takeoff(HOME_ALT + 30.0)
    assert vehicle.flight.arm().name == "ACCEPTED"
    for _ in range(3000):
        world.step()
        if vehicle.flight.mode == FlightMode.LOITER:
            break
    vehicle.flight.reposition(0.0, 3000.0, HOME_ALT + 30.0, 10.0)


def _run(world: World, seconds: float) -> None:
    for _ in range(int(seconds / 0.01)):
        world.step()


def test_critical_battery_returns_with_com_low_bat_act_3() -> None:
    world = _world({"COM_LOW_BAT_ACT": 3}, remaining=0.10)
    vehicle = world.vehicles["sim-1"]
    _airborne_far_away(world)
    _run(world, 120.0)
    said = [t for _, t in vehicle.statustext.history]
    assert "Critical battery level, land now\t" in said
    assert "Failsafe activated: entering Hold for 5 seconds\t" in said
    assert vehicle.flight.mode in (FlightMode.RTL, FlightMode.LAND) or not vehicle.flight.armed


def test_low_battery_only_warns_by_default() -> None:
    world = _world({}, remaining=0.16)
    vehicle = world.vehicles["sim-1"]
    _airborne_far_away(world)
    _run(world, 60.0)
    said = [t for _, t in vehicle.statustext.history]
    assert "Low battery level, return advised\t" in said
    assert vehicle.flight.mode == FlightMode.LOITER and not vehicle.flight.failsafe_critical


def test_gps_loss_in_flight_lands() -> None:
    world = _world({})
    vehicle = world.vehicles["sim-1"]
    _airborne_far_away(world)
    _run(world, 5.0)
    vehicle.inject_failure(FailureUnit.SENSOR_GPS, FailureType.OFF)
    _run(world, 1.0)
    assert vehicle.flight.mode == FlightMode.LAND
    assert vehicle.gps_reading.fix < 2
    _run(world, 60.0)
    assert vehicle.flight.landed_state == LandedState.ON_GROUND and not vehicle.flight.crashed


def test_motor_failure_falls_and_crashes() -> None:
    world = _world({})
    vehicle = world.vehicles["sim-1"]
    _airborne_far_away(world)
    _run(world, 3.0)
    vehicle.inject_failure(FailureUnit.SYSTEM_MOTOR, FailureType.OFF)
    _run(world, 10.0)
    assert vehicle.flight.crashed and not vehicle.flight.armed
    said = [t for _, t in vehicle.statustext.history]
    assert "Motor failure detected\t" in said
    assert any(t.startswith("Crash detected: motor failure") for t in said)


def test_critical_battery_lands_with_com_low_bat_act_2() -> None:
    world = _world({"COM_LOW_BAT_ACT": 2}, remaining=0.2)
    vehicle = world.vehicles["sim-1"]
    _airborne_far_away(world)
    _run(world, 200.0)
    said = [t for _, t in vehicle.statustext.history]
    assert "Critical battery level, land now\t" in said
    assert vehicle.flight.landed_state == LandedState.ON_GROUND or vehicle.flight.mode == FlightMode.LAND
