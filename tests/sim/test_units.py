"""Pure parts of the simulator: parameter encoding, STATUSTEXT chunking, scenario parsing, geofence,
kinematic limits, battery and wind."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from pymavlink.dialects.v20 import common as mavlink
from pyproj import Geod

from sim.battery import Battery, BatterySpec, BatteryWarning
from sim.geo import LocalFrame
from sim.geofence import FenceCircle, FencePolygon, Geofence, violates
from sim.ground_objects import GroundTraffic
from sim.mavlink_codec import FrameEncoder
from sim.params import ParameterStore, ParamType, decode_wire_value, encode_wire_value
from sim.physics import BodyState, Limits, step_body
from sim.px4_modes import FlightMode, base_mode
from sim.scenario import ScenarioError, default_scenario, load_scenario, parse_scenario, with_vehicle_count
from sim.statustext import chunks
from sim.streams import DEFAULT_RATES_HZ, PX4_RATE_EFFICIENCY, StreamId, StreamTable
from sim.terrain_source import flat_terrain_for_homes
from sim.wind import WindField, WindSettings


def test_int32_params_travel_bytewise_like_px4() -> None:
    wire = encode_wire_value(3, ParamType.INT32)
    assert wire == pytest.approx(4.2e-45, rel=0.01)
    assert decode_wire_value(wire, ParamType.INT32) == 3
    assert struct.pack("<f", wire) == struct.pack("<i", 3)
    assert encode_wire_value(2.5, ParamType.REAL32) == 2.5


def test_parameter_defaults_are_px4s() -> None:
    params = ParameterStore()
    expected = {
        "GF_ACTION": 2, "NAV_DLL_ACT": 0, "COM_DL_LOSS_T": 10, "COM_FAIL_ACT_T": 5, "RTL_RETURN_ALT": 30,
        "MIS_TAKEOFF_ALT": 2.5, "MPC_XY_CRUISE": 5, "GF_MAX_HOR_DIST": 0, "COM_DISARM_PRFLT": 10,
        "SYS_FAILURE_EN": 0,
    }  # fmt: skip
    for name, value in expected.items():
        assert params.get(name) == value, name
    assert params.by_index(0) is not None and params.by_index(0).name == "ASPD_SCALE_1"
    with pytest.raises(KeyError):
        params.set("NO_SUCH_PARAM", 1)


def test_statustext_chunks_at_50_characters() -> None:
    text = "RTL: start return at 471 m (40 m above destination)\t"
    assert chunks(text) == ["RTL: start return at 471 m (40 m above destination", ")\t"]
    assert chunks("x" * 50) == ["x" * 50]


def test_base_mode_and_custom_mode_encoding() -> None:
    assert FlightMode.LOITER.custom_mode == 0x03040000
    assert FlightMode.MISSION.custom_mode == 0x04040000
    assert FlightMode.POSCTL.custom_mode == 0x00030000
    assert base_mode(FlightMode.LOITER, armed=False) == 0x1D
    assert base_mode(FlightMode.MISSION, armed=True) == 0x9D
    assert base_mode(FlightMode.POSCTL, armed=False) == 0x51
    assert FlightMode.from_px4(4, 4) == FlightMode.MISSION
    assert FlightMode.from_px4(99, 0) is None


def test_stream_table_semantics() -> None:
    table = StreamTable()
    assert table.interval_us(StreamId.GLOBAL_POSITION_INT) == 20000
    assert table.set_interval(StreamId.GLOBAL_POSITION_INT, -1, 0.0)
    assert table.interval_us(StreamId.GLOBAL_POSITION_INT) == -1
    assert table.set_interval(StreamId.GLOBAL_POSITION_INT, 0, 0.0)
    assert table.interval_us(StreamId.GLOBAL_POSITION_INT) == 20000
    assert not table.set_interval(65000, 1000, 0.0)
    sent = {StreamId.ATTITUDE: 0, StreamId.HEARTBEAT: 0, StreamId.SYSTEM_TIME: 0}
    for tick in range(10000):  # 100 s of 10 ms ticks
        due = table.due(tick * 0.01)
        for stream_id in sent:
            sent[stream_id] += stream_id in due
    for stream_id, count in sent.items():
        # PX4 runs ~2 % below the configured rate.
        assert count / 100.0 == pytest.approx(DEFAULT_RATES_HZ[stream_id] * PX4_RATE_EFFICIENCY, rel=0.015), (
            stream_id
        )


def test_geofence_union_of_inclusions_minus_exclusions() -> None:
    fence = Geofence(
        polygons=[FencePolygon(((-100, -100), (100, -100), (100, 100), (-100, 100)), inclusion=True)],
        circles=[FenceCircle((50, 50), 20, inclusion=False), FenceCircle((300, 0), 50, inclusion=True)],
    )
    assert fence.contains(0, 0)
    assert not fence.contains(50, 55)  # inside the exclusion circle
    assert fence.contains(320, 0)  # inside the second inclusion zone
    assert not fence.contains(200, 0)
    assert violates(Geofence(), 120, 0, 10, max_hor_dist_m=100, max_ver_dist_m=0)
    assert violates(Geofence(), 0, 0, 130, max_hor_dist_m=0, max_ver_dist_m=120)
    assert not violates(Geofence(), 1000, 0, 1000, max_hor_dist_m=0, max_ver_dist_m=0)


def test_local_frame_round_trip_is_centimetre_exact_at_10_km() -> None:
    frame = LocalFrame(17.2, 50.2)
    lon, lat = frame.to_lonlat(7000.0, -7000.0)
    east, north = frame.to_en(lon, lat)
    assert (east, north) == pytest.approx((7000.0, -7000.0), abs=0.01)
    # Against the WGS84 ellipsoid (pyproj's geodesics): distances agree to centimetres within 10 km.
    geod = Geod(ellps="WGS84")
    _, lat_north, _ = geod.fwd(17.2, 50.2, 0.0, 1000.0)
    assert frame.to_lonlat(0.0, 1000.0)[1] == pytest.approx(lat_north, abs=1e-7)
    _, _, distance = geod.inv(17.2, 50.2, lon, lat)
    assert distance == pytest.approx(math.hypot(7000.0, 7000.0), abs=0.2)


def test_kinematics_respect_speed_accel_and_climb_limits() -> None:
    body = BodyState()
    limits = Limits(max_horizontal_mps=12.0, max_up_mps=3.0, horizontal_accel_mps2=3.0, yaw_rate_dps=45.0)
    speeds = []
    for _ in range(1000):
        step_body(body, 30.0, 0.0, 10.0, math.pi / 2, (0.0, 0.0), (0.0, 0.0), limits, 0.01)
        speeds.append(body.ground_speed)
    assert max(speeds) <= 12.0 + 1e-9
    assert speeds[99] == pytest.approx(3.0, abs=0.05)  # 1 s at 3 m/s^2
    assert body.v_up == pytest.approx(3.0)
    assert body.yaw == pytest.approx(math.pi / 2)
    assert body.pitch < 0  # nose down to fly forward


def test_wind_stronger_than_the_vehicle_pushes_it() -> None:
    body = BodyState()
    for _ in range(2000):
        step_body(body, 0.0, 0.0, 0.0, None, (0.0, 25.0), (0.0, 0.0), Limits(), 0.01)
    assert body.v_north == pytest.approx(25.0 - 16.0, abs=0.1)


def test_battery_drains_faster_fast_and_climbing() -> None:
    def drained(airspeed: float, climb: float) -> float:
        battery = Battery(BatterySpec())
        for _ in range(600):
            battery.step(1.0, armed=True, airborne=True, airspeed_mps=airspeed, climb_mps=climb)
        return 1.0 - battery.remaining

    hover = drained(0.0, 0.0)
    assert drained(12.0, 0.0) > hover * 1.4
    assert drained(0.0, 3.0) > hover * 1.2
    assert 0.4 < hover < 0.6  # 10 min of hover takes about half of a 5 Ah pack at 14 A
    battery = Battery(BatterySpec(initial_remaining=0.1))
    assert battery.warning(0.15, 0.07, 0.05) == BatteryWarning.LOW
    assert battery.voltage_v < 4 * 3.8


def test_wind_gusts_are_seeded_and_bounded() -> None:
    a = WindField(WindSettings(5.0, 270.0, 2.0, 3.0), seed=1)
    b = WindField(WindSettings(5.0, 270.0, 2.0, 3.0), seed=1)
    samples = [a.step(0.01) for _ in range(30000)]
    for _ in range(30000):
        b.step(0.01)
    assert b.total_en == a.total_en
    east = [s[0] for s in samples]
    assert sum(east) / len(east) == pytest.approx(5.0, abs=1.0)  # from the west: blows east
    spread = math.sqrt(sum((e - 5.0) ** 2 for e in east) / len(east))
    assert 1.0 < spread < 3.0


def test_default_scenario_and_vehicle_count() -> None:
    scenario = default_scenario()
    assert [v.slug for v in scenario.vehicles] == ["sim-1", "sim-2", "sim-3"]
    assert all(16.8 <= v.home.lon <= 17.8 and 50.0 <= v.home.lat <= 50.7 for v in scenario.vehicles)
    five = with_vehicle_count(scenario, 5)
    assert [v.slug for v in five.vehicles][-2:] == ["sim-4", "sim-5"]
    one = with_vehicle_count(scenario, 1)
    assert [c.vehicle for c in one.cameras if c.vehicle] == ["sim-1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vehicles: [\n  {slug: a\n", "line"),
        ("vehicles:\n  - slug: Bad Slug\n    home: {lon: 17, lat: 50}\n", "vehicles.0.slug"),
        ("vehicles:\n  - slug: a\n    home: {lon: 200, lat: 50}\n", "vehicles.0.home.lon"),
        ("cameras:\n  - {id: c, kind: drone, vehicle: nobody}\n", "unknown vehicle"),
        ("- just\n- a list\n", "mapping"),
        (
            "vehicles:\n  - {slug: a, home: {lon: 17, lat: 50}}\n  - {slug: a, home: {lon: 17, lat: 50}}\n",
            "unique",
        ),
    ],
)
def test_bad_scenarios_say_where(text: str, expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected):
        parse_scenario(text, "bad.yaml")


def test_oversized_scenario_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "#" * 2000)
    with pytest.raises(ScenarioError, match="input limit"):
        load_scenario(path, max_bytes=1000)


def test_fast_frames_are_byte_identical_to_pymavlink() -> None:
    mav = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)
    encoder = FrameEncoder(1, 1)

    def build() -> list[mavlink.MAVLink_message]:
        return [
            mav.attitude_encode(1, 0.1, -0.2, 3.0, 0.0, 0.0, 0.5),
            mav.statustext_encode(2, b"Operation timeout\t", 7, 0),
            mav.heartbeat_encode(2, 12, 0x9D, 0x04040000, 4),
            mav.odometry_encode(
                1, 1, 12, 1, 2, 3, [1, 0, 0, 0], 1, 2, 3, 0, 0, 0, [math.nan] * 21, [math.nan] * 21, 0, 1, 100
            ),
            mav.mission_item_int_encode(
                255, 190, 3, 6, 16, 0, 1, 0, 2, 0, math.nan, 502290000, 172050000, 30.0, 0
            ),
            mav.param_value_encode(b"GF_ACTION", encode_wire_value(3, ParamType.INT32), 6, 60, 10),
            mav.battery_status_encode(0, 0, 1, 32767, [4000] * 4 + [65535] * 6, 100, 10, -1, 99, 0, 1),
            mav.command_ack_encode(176, 0, 0, 0, 255, 190),
        ]

    for reference, fast in zip(build(), build(), strict=True):
        mav.seq = encoder.seq
        assert encoder.encode(fast) == reference.pack(mav), reference.get_type()


def test_flat_world_without_dem_stands_every_home_on_its_own_ground() -> None:
    single = flat_terrain_for_homes([(17.2, 50.2, 430.0)])
    assert float(single.sample(17.9, 50.9).elevation_amsl_m) == 430.0
    homes = [(17.205, 50.229, 430.0), (17.379, 50.309, 300.0), (17.334, 50.470, 195.0)]
    terrain = flat_terrain_for_homes(homes)
    for lon, lat, alt in homes:
        assert float(terrain.sample(lon, lat).elevation_amsl_m) == pytest.approx(alt, abs=0.01)
        # flat around each home: 200 m away the ground is within a few centimetres
        assert float(terrain.sample(lon + 0.0028, lat).elevation_amsl_m) == pytest.approx(alt, abs=0.05)
    between = float(terrain.sample(17.29, 50.27).elevation_amsl_m)
    assert 195.0 < between < 430.0
    assert math.isnan(float(terrain.sample(17.3, 50.3).accuracy_m)), "no DEM: accuracy unknown"


def test_scenario_dem_path_is_relative_to_the_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "flight.yaml"
    path.write_text(
        "terrain: {dem: dems/area.tif}\n"
        "vehicles:\n  - {slug: sim-1, home: {lon: 17.2, lat: 50.2}, params: {NAV_DLL_ACT: 2}}\n"
        "ground_objects:\n"
        "  - {kind: car, speed_mps: 10, motion: {type: road, path: [[17.2, 50.2], [17.21, 50.2]]}}\n"
    )
    scenario = load_scenario(path)
    assert scenario.terrain.dem == (tmp_path / "dems" / "area.tif").resolve()
    assert scenario.vehicles[0].params == {"NAV_DLL_ACT": 2.0}
    assert scenario.vehicles[0].home.alt_amsl_m is None


def test_ground_traffic_keeps_cars_on_the_road_and_people_in_their_area() -> None:
    scenario = parse_scenario(
        "ground_objects:\n"
        "  - {kind: car, count: 3, speed_mps: 15,\n"
        "     motion: {type: road, path: [[17.20, 50.20], [17.22, 50.20]]}}\n"
        "  - {kind: person, count: 4, speed_mps: 1.4,\n"
        "     motion: {type: random_walk, centre: [17.3, 50.3], radius_m: 50}}\n"
    )
    traffic = GroundTraffic(list(scenario.ground_objects), seed=3)
    again = GroundTraffic(list(scenario.ground_objects), seed=3)
    start = {o.id: (o.lon, o.lat) for o in traffic.objects()}
    centre = LocalFrame(17.3, 50.3)
    for _ in range(600):  # 10 minutes in 1 s steps
        traffic.step(1.0)
        again.step(1.0)
        for obj in traffic.objects():
            if obj.kind.value == "car":
                assert obj.lat == pytest.approx(50.20, abs=1e-9) and 17.20 - 1e-9 <= obj.lon <= 17.22 + 1e-9
            else:
                east, north = centre.to_en(obj.lon, obj.lat)
                assert math.hypot(east, north) <= 50.0 + 1.4 * 1.0 + 1e-6
    assert traffic.objects() == again.objects(), "seeded: replays identically"
    assert any((o.lon, o.lat) != start[o.id] for o in traffic.objects())
    assert {o.kind.value for o in traffic.objects()} == {"car", "person"}
