"""Live monitoring against a synthetic region with known answers (a zone, a border, a ridge)."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from numpy.typing import ArrayLike
from shapely.geometry import Polygon, box

from geodata.border import Border
from geodata.terrain.model import Terrain, TerrainSample, as_lonlat_arrays
from geodata.vertical import VerticalRef
from geodata.zones import ZoneIndex
from geodata.zones.model import GROUND, AltitudeLimit, Restriction, Zone, ZoneVolume
from ground_station.bus import InProcessBus
from ground_station.bus.messages import (
    AlertKind,
    AlertMsg,
    AlertSeverity,
    BatteryMsg,
    LinkMsg,
    MissionProgressMsg,
    PositionMsg,
    StatusMsg,
    StatusTextMsg,
    VehicleState,
)
from ground_station.monitor import Monitor, MonitorConfig
from missions.formats.mavlink_items import MissionItemInt
from tests.waiting import until

pytestmark = pytest.mark.timeout(30)

BORDER_LAT = 50.30
GROUND_AMSL_M = 400.0
RIDGE_LON = 17.30  # a ridge 150 m high at this longitude, 0.002 deg wide
HOME = (17.20, 50.25)


class RidgeTerrain(Terrain):
    """Flat at 400 m with a 150 m ridge around lon 17.30; 5 m accuracy (a "precise" source)."""

    name = "ridge"
    vertical_accuracy_m = 5.0

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        lons, _ = as_lonlat_arrays(lon, lat)
        ridge = np.where(np.abs(lons - RIDGE_LON) < 0.002, 150.0, 0.0)
        return TerrainSample(GROUND_AMSL_M + ridge, np.full(lons.shape, 5.0))

    def covers(self, lon: ArrayLike, lat: ArrayLike) -> Any:
        lons, _ = as_lonlat_arrays(lon, lat)
        return np.ones(lons.shape, dtype=bool)


@dataclass
class SyntheticRegion:
    zones: ZoneIndex
    border: Border
    terrain: Terrain


def box_zone(identifier: str, name: str, restriction: Restriction, bounds: tuple[float, ...]) -> Zone:
    """A Czech zone over a lon/lat box, from the ground to 500 m AGL."""
    volume = ZoneVolume(box(*bounds), GROUND, AltitudeLimit(500.0, VerticalRef.AGL, "500 m"))
    return Zone(
        identifier=identifier,
        country="CZE",
        name=name,
        restriction=restriction,
        reasons=(),
        volumes=(volume,),
    )


def make_region() -> SyntheticRegion:
    prohibited = box_zone("CZ-TEST-P1", "Test prison", Restriction.PROHIBITED, (17.25, 50.20, 17.26, 50.28))
    harmless = box_zone("CZ-TEST-N1", "Nothing", Restriction.NO_RESTRICTION, (17.10, 50.20, 17.22, 50.28))
    along = [(16.8 + i * 0.01, BORDER_LAT) for i in range(101)]  # dense: the border follows the parallel
    cze = Polygon([(16.8, 50.0), (17.8, 50.0), *reversed(along)])
    pol = Polygon([*along, (17.8, 50.7), (16.8, 50.7)])
    border = Border({"CZE": cze, "POL": pol})
    return SyntheticRegion(ZoneIndex([prohibited, harmless]), border, RidgeTerrain())


NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def position(
    lon: float, lat: float, alt_rel_m: float = 50.0, vn: float = 0.0, ve: float = 0.0, vd: float = 0.0
) -> PositionMsg:
    return PositionMsg(
        vehicle_id="sim-1",
        time_utc=NOW,
        vehicle_time_ms=0,
        lon=lon,
        lat=lat,
        alt_amsl_m=GROUND_AMSL_M + alt_rel_m,
        alt_rel_m=alt_rel_m,
        vn_mps=vn,
        ve_mps=ve,
        vd_mps=vd,
    )


def status(
    *, armed: bool = True, in_air: bool = True, mode: str = "AUTO.MISSION", system_status: str = "ACTIVE"
) -> StatusMsg:
    return StatusMsg(
        vehicle_id="sim-1",
        time_utc=NOW,
        state=VehicleState.IN_AIR if in_air else VehicleState.CONNECTED,
        armed=armed,
        in_air=in_air,
        flight_mode=mode,
        system_status=system_status,
        autopilot="PX4",
        firmware_version=None,
        system_id=1,
        home_lon=HOME[0],
        home_lat=HOME[1],
        home_alt_amsl_m=GROUND_AMSL_M,
    )


@pytest.fixture
def monitor() -> Monitor:
    bus = InProcessBus()
    monitor = Monitor(bus, make_region(), MonitorConfig(clear_after_s=0.0, border_warn_m=300.0))
    monitor.apply(status())
    return monitor


async def feed(monitor: Monitor, *msgs: Any) -> list[AlertMsg]:
    for msg in msgs:
        monitor.apply(msg)
    return await monitor.evaluate(["sim-1"])


async def test_zone_entry_is_predicted_then_actual_and_not_repeated(monitor: Monitor) -> None:
    # 10 m/s east, ~210 m west of the prohibited zone: inside it within the 30 s look-ahead
    first = await feed(monitor, position(17.247, 50.25, ve=10.0))
    assert [(a.kind, a.predicted, a.zone_id) for a in first] == [(AlertKind.ZONE_ENTRY, True, "CZ-TEST-P1")]
    assert "Test prison" in first[0].messages.en and first[0].messages.cs and first[0].messages.pl
    assert await feed(monitor, position(17.2475, 50.25, ve=10.0)) == []  # de-duplicated, not one per packet
    inside = await feed(monitor, position(17.255, 50.25, ve=10.0))
    actual = [a for a in inside if a.active and not a.predicted]
    assert [(a.kind, a.severity) for a in actual] == [(AlertKind.ZONE_ENTRY, AlertSeverity.CRITICAL)]
    assert [a.alert_id for a in inside if not a.active] == [first[0].alert_id]  # prediction came true
    left = await feed(monitor, position(17.27, 50.25, ve=10.0))
    assert [a.alert_id for a in left if not a.active] == [actual[0].alert_id]


async def test_no_restriction_zones_and_a_vehicle_on_the_ground_raise_nothing(monitor: Monitor) -> None:
    assert await feed(monitor, position(17.15, 50.25)) == []
    monitor.apply(status(armed=False, in_air=False))
    assert await feed(monitor, position(17.255, 50.25, alt_rel_m=0.0)) == []


async def test_border_approach_prediction_and_crossing(monitor: Monitor) -> None:
    near = await feed(monitor, position(17.10, BORDER_LAT - 0.002, vn=10.0))  # ~220 m south, flying north
    kinds = {(a.kind, a.predicted) for a in near}
    assert kinds == {(AlertKind.BORDER_APPROACH, False), (AlertKind.BORDER_APPROACH, True)}
    predicted = next(a for a in near if a.predicted)
    assert "POL" in predicted.message
    crossed = await feed(monitor, position(17.10, BORDER_LAT + 0.001, vn=10.0))
    assert any(a.kind is AlertKind.BORDER_CROSSING and "POL" in a.message for a in crossed)


async def test_height_limit_and_terrain_proximity(monitor: Monitor) -> None:
    high = await feed(monitor, position(17.15, 50.25, alt_rel_m=130.0))
    assert [a.kind for a in high] == [AlertKind.HEIGHT_ABOVE_LIMIT]
    # 100 m above flat ground, flying east at 10 m/s toward the 150 m ridge ~140 m ahead
    ridge = await feed(monitor, position(RIDGE_LON - 0.004, 50.25, alt_rel_m=100.0, ve=10.0))
    terrain = [a for a in ridge if a.kind is AlertKind.TERRAIN_PROXIMITY and a.active]
    assert len(terrain) == 1 and terrain[0].predicted
    over = await feed(monitor, position(RIDGE_LON, 50.25, alt_rel_m=160.0, ve=10.0))  # 10 m over the crest
    assert any(a.kind is AlertKind.TERRAIN_PROXIMITY and not a.predicted for a in over)


async def test_no_link_lost_before_the_first_heartbeat(monitor: Monitor) -> None:
    """At every station start a LINK_LOST "no heartbeat for 0 s" was raised: the link message from before
    the first heartbeat (never heard) met the first status. A link that never came up was not lost."""
    never_heard = LinkMsg(
        vehicle_id="sim-1",
        time_utc=NOW,
        connected=False,
        last_heartbeat_age_s=None,
        packets_received=0,
        packets_bad=0,
        rx_rate_hz=0.0,
    )
    alerts = await feed(monitor, never_heard, status(armed=False, in_air=False), position(17.15, 50.25))
    assert [a for a in alerts if a.kind is AlertKind.LINK_LOST] == []


async def test_link_loss_failsafe_mode_change_battery_and_mission_deviation(monitor: Monitor) -> None:
    here = position(17.15, 50.25)
    lost = LinkMsg(
        vehicle_id="sim-1",
        time_utc=NOW,
        connected=False,
        last_heartbeat_age_s=4.0,
        packets_received=10,
        packets_bad=0,
        rx_rate_hz=0.0,
    )
    alerts = await feed(monitor, here, lost)
    assert [(a.kind, a.severity) for a in alerts] == [(AlertKind.LINK_LOST, AlertSeverity.CRITICAL)]
    back = await feed(monitor, lost.model_copy(update={"connected": True}))
    assert [(a.kind, a.active) for a in back] == [(AlertKind.LINK_LOST, False)]

    text = StatusTextMsg(
        vehicle_id="sim-1", time_utc=NOW, severity=2, text="Failsafe activated: entering Hold for 5 seconds"
    )
    hold = await feed(monitor, text, status(mode="AUTO.LOITER", system_status="CRITICAL"))
    assert [(a.kind, "Hold" in a.message) for a in hold] == [(AlertKind.FAILSAFE, True)]
    rtl = await feed(monitor, status(mode="AUTO.RTL", system_status="CRITICAL"))
    assert [a.kind for a in rtl if a.active] == [AlertKind.FAILSAFE]  # the failsafe changed mode: new alert
    assert "AUTO.RTL" in next(a for a in rtl if a.active).message

    await feed(monitor, status())
    far = position(HOME[0] + 0.07, 50.25)  # ~5 km east of home
    battery = BatteryMsg(vehicle_id="sim-1", time_utc=NOW, remaining_pct=35.0, voltage_v=15.0, current_a=10.0)
    low = await feed(monitor, far, battery)
    assert [(a.kind, a.severity) for a in low] == [(AlertKind.LOW_BATTERY, AlertSeverity.WARNING)]
    assert await feed(monitor, here) != []  # battery alert closes near home (35 % > 15 % + 5 %/km * 3.6 km)

    monitor.set_mission(
        "sim-1",
        [
            MissionItemInt(0, 6, 16, 0, 1, 0, 0, 0, math.nan, round(50.25 * 1e7), round(17.15 * 1e7), 50.0),
            MissionItemInt(1, 6, 16, 0, 1, 0, 0, 0, math.nan, round(50.25 * 1e7), round(17.17 * 1e7), 50.0),
        ],
    )
    progress = MissionProgressMsg(vehicle_id="sim-1", time_utc=NOW, current=1, total=2)
    on_track = await feed(monitor, progress, position(17.16, 50.2502))
    assert not any(a.kind is AlertKind.MISSION_DEVIATION for a in on_track)
    off_track = await feed(monitor, position(17.16, 50.2512))  # ~130 m north of the leg
    assert [a.kind for a in off_track if a.active] == [AlertKind.MISSION_DEVIATION]


async def test_monitor_runs_on_the_bus_and_publishes_on_alert() -> None:
    bus = InProcessBus()
    alerts = bus.subscribe("alert")
    monitor = Monitor(bus, make_region())
    await monitor.start()
    try:
        await bus.publish("vehicle.sim-1.status", status())
        for _ in range(50):  # a 50 Hz stream inside the zone gives one alert
            await bus.publish("vehicle.sim-1.position", position(17.255, 50.25))
            await asyncio.sleep(0)
        async with asyncio.timeout(5):
            _, alert = await alerts.__anext__()
        assert isinstance(alert, AlertMsg) and alert.kind is AlertKind.ZONE_ENTRY
        first_pass = monitor.checks
        # every position consumed and evaluated again (the batch pass or the 1 Hz pass): still one alert
        subscription = monitor._subscription
        assert subscription is not None
        await until(lambda: subscription.pending == 0 and monitor.checks > first_pass, "a later pass")
        assert alerts.drain() == []
    finally:
        await monitor.stop()


class FailingTerrain(RidgeTerrain):
    """A terrain source whose DEM became unreadable (as when the GeoTIFF's disk goes away), until fixed."""

    def __init__(self) -> None:
        self.broken = True

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        if self.broken:
            raise OSError("DEM tile unreadable: input/output error")
        return super().sample(lon, lat)


async def test_failing_geographic_checks_raise_a_critical_alert_that_clears_when_they_recover() -> None:
    region = make_region()
    terrain = FailingTerrain()
    region.terrain = terrain
    monitor = Monitor(InProcessBus(), region, MonitorConfig(clear_after_s=0.0))
    monitor.apply(status())
    degraded = await feed(monitor, position(17.15, 50.25))
    assert [(a.kind, a.severity, a.active) for a in degraded] == [
        (AlertKind.MONITORING_DEGRADED, AlertSeverity.CRITICAL, True)
    ]
    assert degraded[0].message.startswith("monitoring degraded for sim-1: OSError: DEM tile unreadable")
    assert monitor.degraded == {"sim-1": "OSError: DEM tile unreadable: input/output error"}
    assert await feed(monitor, position(17.151, 50.25)) == []  # one alert while it lasts
    terrain.broken = False
    recovered = await feed(monitor, position(17.152, 50.25))
    assert [(a.alert_id, a.active) for a in recovered] == [(degraded[0].alert_id, False)]
    assert monitor.degraded == {}
