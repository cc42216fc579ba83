"""Builds each telemetry message from the vehicle's state, field by field the way PX4 fills them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pymavlink.dialects.v20 import common as mavlink

from sim.battery import Battery, BatteryWarning
from sim.flight import FlightController
from sim.geo import GeoPoint
from sim.gps import GpsFix, GpsReading
from sim.mission_store import MissionStore, MissionType
from sim.params import ParameterStore
from sim.px4_modes import LandedState, base_mode
from sim.streams import StreamId

NAN = float("nan")
_SENSORS = (
    mavlink.MAV_SYS_STATUS_SENSOR_3D_GYRO
    | mavlink.MAV_SYS_STATUS_SENSOR_3D_ACCEL
    | mavlink.MAV_SYS_STATUS_SENSOR_3D_MAG
    | mavlink.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
    | mavlink.MAV_SYS_STATUS_SENSOR_GPS
    | mavlink.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | mavlink.MAV_SYS_STATUS_SENSOR_YAW_POSITION
    | mavlink.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
    | mavlink.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | mavlink.MAV_SYS_STATUS_AHRS
    | mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
    | mavlink.MAV_SYS_STATUS_PREARM_CHECK
)
_ESTIMATOR_GOOD = (
    mavlink.ESTIMATOR_ATTITUDE
    | mavlink.ESTIMATOR_VELOCITY_HORIZ
    | mavlink.ESTIMATOR_VELOCITY_VERT
    | mavlink.ESTIMATOR_POS_HORIZ_REL
    | mavlink.ESTIMATOR_POS_HORIZ_ABS
    | mavlink.ESTIMATOR_POS_VERT_ABS
    | mavlink.ESTIMATOR_PRED_POS_HORIZ_REL
    | mavlink.ESTIMATOR_PRED_POS_HORIZ_ABS
)
_SEA_LEVEL_HPA = 1013.25


class TelemetrySource(Protocol):
    """The vehicle state telemetry reads (implemented by :class:`sim.vehicle.Vehicle`)."""

    flight: FlightController
    battery: Battery
    gps_reading: GpsReading
    params: ParameterStore
    store: MissionStore
    home: GeoPoint | None
    lon: float
    lat: float
    ground_amsl_m: float

    def system_status(self) -> int: ...
    def time_boot_ms(self) -> int: ...
    def time_unix_usec(self) -> int: ...
    def preflight_ok(self) -> bool: ...


@dataclass
class _Counters:
    ping_seq: int = 0


def euler_to_quaternion(roll: float, pitch: float, yaw: float) -> tuple[float, float, float, float]:
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (
        cr * cp * cy + sr * sp * sy,
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
    )


def pressure_hpa(alt_amsl_m: float) -> float:
    return _SEA_LEVEL_HPA * (1.0 - 2.25577e-5 * alt_amsl_m) ** 5.25588


class TelemetryBuilder:
    def __init__(self, source: TelemetrySource, encoder: mavlink.MAVLink) -> None:
        self._v = source
        self._mav = encoder
        self._counters = _Counters()
        self._builders: dict[StreamId, Callable[[], mavlink.MAVLink_message | None]] = {
            StreamId.HEARTBEAT: self.heartbeat,
            StreamId.SYS_STATUS: self.sys_status,
            StreamId.SYSTEM_TIME: self.system_time,
            StreamId.PING: self.ping,
            StreamId.GPS_RAW_INT: self.gps_raw_int,
            StreamId.SCALED_PRESSURE: self.scaled_pressure,
            StreamId.ATTITUDE: self.attitude,
            StreamId.ATTITUDE_QUATERNION: self.attitude_quaternion,
            StreamId.LOCAL_POSITION_NED: self.local_position_ned,
            StreamId.GLOBAL_POSITION_INT: self.global_position_int,
            StreamId.SERVO_OUTPUT_RAW: self.servo_output_raw,
            StreamId.MISSION_CURRENT: self.mission_current,
            StreamId.VFR_HUD: self.vfr_hud,
            StreamId.ATTITUDE_TARGET: self.attitude_target,
            StreamId.POSITION_TARGET_LOCAL_NED: self.position_target_local_ned,
            StreamId.POSITION_TARGET_GLOBAL_INT: self.position_target_global_int,
            StreamId.HIGHRES_IMU: self.highres_imu,
            StreamId.TIMESYNC: self.timesync,
            StreamId.DISTANCE_SENSOR: self.distance_sensor,
            StreamId.ALTITUDE: self.altitude,
            StreamId.BATTERY_STATUS: self.battery_status,
            StreamId.ESTIMATOR_STATUS: self.estimator_status,
            StreamId.VIBRATION: self.vibration,
            StreamId.HOME_POSITION: self.home_position,
            StreamId.EXTENDED_SYS_STATE: self.extended_sys_state,
            StreamId.ODOMETRY: self.odometry,
            StreamId.OPEN_DRONE_ID_LOCATION: self.open_drone_id_location,
            StreamId.OPEN_DRONE_ID_SYSTEM: self.open_drone_id_system,
        }

    def build(self, stream_id: StreamId) -> mavlink.MAVLink_message | None:
        builder = self._builders.get(stream_id)
        return builder() if builder is not None else None

    def build_by_msg_id(self, msg_id: int) -> mavlink.MAVLink_message | None:
        if msg_id == mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION:
            return self.autopilot_version()
        if msg_id == mavlink.MAVLINK_MSG_ID_GPS_GLOBAL_ORIGIN:
            return self.gps_global_origin()
        try:
            return self.build(StreamId(msg_id))
        except ValueError:
            return None

    # ---- one builder per message -----------------------------------------------------------------
    def heartbeat(self) -> mavlink.MAVLink_message:
        flight = self._v.flight
        return self._mav.heartbeat_encode(
            mavlink.MAV_TYPE_QUADROTOR,
            mavlink.MAV_AUTOPILOT_PX4,
            base_mode(flight.mode, flight.armed),
            flight.mode.custom_mode,
            self._v.system_status(),
        )

    def sys_status(self) -> mavlink.MAVLink_message:
        v = self._v
        health = _SENSORS
        if v.gps_reading.fix < GpsFix.FIX_3D:
            health &= ~mavlink.MAV_SYS_STATUS_SENSOR_GPS
        if not v.preflight_ok():
            health &= ~mavlink.MAV_SYS_STATUS_PREARM_CHECK
        if v.flight.motor_failed:
            health &= ~mavlink.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
        p = v.params
        if v.battery.warning(p.get("BAT_LOW_THR"), p.get("BAT_CRIT_THR"), p.get("BAT_EMERGEN_THR")) >= (
            BatteryWarning.CRITICAL
        ):
            health &= ~mavlink.MAV_SYS_STATUS_SENSOR_BATTERY
        battery = v.battery
        return self._mav.sys_status_encode(
            _SENSORS, _SENSORS, health, 250,
            int(battery.voltage_v * 1000), int(battery.current_a * 100), round(battery.remaining * 100),
            0, 0, 0, 0, 0, 0,
        )  # fmt: skip

    def system_time(self) -> mavlink.MAVLink_message:
        return self._mav.system_time_encode(self._v.time_unix_usec(), self._v.time_boot_ms())

    def ping(self) -> mavlink.MAVLink_message:
        self._counters.ping_seq = (self._counters.ping_seq + 1) & 0xFFFFFFFF
        return self._mav.ping_encode(self._v.time_boot_ms() * 1000, self._counters.ping_seq, 0, 0)

    def gps_raw_int(self) -> mavlink.MAVLink_message:
        v = self._v
        gps = v.gps_reading
        body = v.flight.body
        if gps.fix < GpsFix.FIX_2D:
            return self._mav.gps_raw_int_encode(
                v.time_boot_ms() * 1000, int(gps.fix), 0, 0, 0, 9999, 9999, 0, 0, 0, 0, 0, 0, 0, 0
            )
        frame = v.flight.frame
        lon, lat = frame.to_lonlat(body.east_m + gps.east_err_m, body.north_m + gps.north_err_m)
        alt = body.alt_amsl_m + gps.up_err_m
        cog = (math.degrees(math.atan2(body.v_east, body.v_north)) + 360.0) % 360.0
        return self._mav.gps_raw_int_encode(
            v.time_boot_ms() * 1000, int(gps.fix), int(lat * 1e7), int(lon * 1e7), int(alt * 1000),
            int(gps.eph_m * 100), int(gps.epv_m * 100), int(body.ground_speed * 100), int(cog * 100),
            gps.satellites, int((alt + 43.0) * 1000), int(gps.eph_m * 1000), int(gps.epv_m * 1000), 250, 0,
        )  # fmt: skip

    def scaled_pressure(self) -> mavlink.MAVLink_message:
        return self._mav.scaled_pressure_encode(
            self._v.time_boot_ms(), pressure_hpa(self._v.flight.body.alt_amsl_m), 0.0, 2500
        )

    def attitude(self) -> mavlink.MAVLink_message:
        body = self._v.flight.body
        return self._mav.attitude_encode(
            self._v.time_boot_ms(), body.roll, body.pitch, body.yaw, 0.0, 0.0, body.yaw_rate
        )

    def attitude_quaternion(self) -> mavlink.MAVLink_message:
        body = self._v.flight.body
        q = euler_to_quaternion(body.roll, body.pitch, body.yaw)
        return self._mav.attitude_quaternion_encode(
            self._v.time_boot_ms(), q[0], q[1], q[2], q[3], 0.0, 0.0, body.yaw_rate, [0.0, 0.0, 0.0, 0.0]
        )

    def local_position_ned(self) -> mavlink.MAVLink_message:
        v = self._v
        body = v.flight.body
        home_alt = v.flight.home_alt_amsl_m
        return self._mav.local_position_ned_encode(
            v.time_boot_ms(), body.north_m, body.east_m, -(body.alt_amsl_m - home_alt),
            body.v_north, body.v_east, -body.v_up,
        )  # fmt: skip

    def global_position_int(self) -> mavlink.MAVLink_message:
        v = self._v
        body = v.flight.body
        heading = (math.degrees(body.yaw) + 360.0) % 360.0
        return self._mav.global_position_int_encode(
            v.time_boot_ms(), int(v.lat * 1e7), int(v.lon * 1e7), int(body.alt_amsl_m * 1000),
            int((body.alt_amsl_m - v.flight.home_alt_amsl_m) * 1000),
            int(body.v_north * 100), int(body.v_east * 100), int(-body.v_up * 100), int(heading * 100),
        )  # fmt: skip

    def servo_output_raw(self) -> mavlink.MAVLink_message:
        flight = self._v.flight
        pwm = 1000
        if flight.armed:
            pwm = 1100 if not flight.airborne else 1500
        return self._mav.servo_output_raw_encode(
            self._v.time_boot_ms() * 1000 & 0xFFFFFFFF, 0, pwm, pwm, pwm, pwm, 0, 0, 0, 0
        )

    def mission_current(self) -> mavlink.MAVLink_message:
        store = self._v.store
        total = len(store.get(MissionType.MISSION))
        return self._mav.mission_current_encode(
            store.current_seq if total else 0, total if total else 65535, 0, 0
        )

    def mission_item_reached(self) -> mavlink.MAVLink_message | None:
        """A repeat, due with each MISSION_CURRENT (the same 1 Hz limiter in PX4)."""
        progress = self._v.flight.progress
        if progress.reached_repeats_left <= 0 or progress.reached_seq < 0:
            return None
        progress.reached_repeats_left -= 1
        return self._mav.mission_item_reached_encode(progress.reached_seq)

    def new_item_reached(self) -> mavlink.MAVLink_message | None:
        """The first MISSION_ITEM_REACHED of an item: at once, not on the 1 Hz timer."""
        progress = self._v.flight.progress
        if not progress.reached_unsent or progress.reached_seq < 0:
            return None
        progress.reached_unsent = False
        return self._mav.mission_item_reached_encode(progress.reached_seq)

    def vfr_hud(self) -> mavlink.MAVLink_message:
        flight = self._v.flight
        body = flight.body
        heading = int((math.degrees(body.yaw) + 360.0) % 360.0)
        throttle = 0 if not flight.armed else (50 if flight.airborne else 10)
        return self._mav.vfr_hud_encode(
            body.airspeed, body.ground_speed, heading, throttle, body.alt_amsl_m, body.v_up
        )

    def attitude_target(self) -> mavlink.MAVLink_message:
        body = self._v.flight.body
        q = euler_to_quaternion(body.roll, body.pitch, body.yaw)
        thrust = 0.5 if self._v.flight.airborne else 0.0
        return self._mav.attitude_target_encode(self._v.time_boot_ms(), 0, q, 0.0, 0.0, body.yaw_rate, thrust)

    def position_target_local_ned(self) -> mavlink.MAVLink_message:
        flight = self._v.flight
        g = flight.last_guidance
        body = flight.body
        if g is None:
            x, y, z = NAN, NAN, NAN
        else:
            x, y, z = g.north_m, g.east_m, -(g.alt_amsl_m - flight.home_alt_amsl_m)
        return self._mav.position_target_local_ned_encode(
            self._v.time_boot_ms(), mavlink.MAV_FRAME_LOCAL_NED, 0, x, y, z,
            body.v_north, body.v_east, -body.v_up, NAN, NAN, NAN, body.yaw, NAN,
        )  # fmt: skip

    def position_target_global_int(self) -> mavlink.MAVLink_message | None:
        flight = self._v.flight
        g = flight.last_guidance
        if g is None or not flight.airborne:
            return None  # PX4 only streams it in flight
        lon, lat = flight.frame.to_lonlat(g.east_m, g.north_m)
        return self._mav.position_target_global_int_encode(
            self._v.time_boot_ms(), mavlink.MAV_FRAME_GLOBAL_INT, 0, int(lat * 1e7), int(lon * 1e7),
            g.alt_amsl_m, NAN, NAN, NAN, NAN, NAN, NAN, g.yaw_rad if g.yaw_rad is not None else NAN, NAN,
        )  # fmt: skip

    def highres_imu(self) -> mavlink.MAVLink_message:
        body = self._v.flight.body
        pressure = pressure_hpa(body.alt_amsl_m)
        return self._mav.highres_imu_encode(
            self._v.time_boot_ms() * 1000, -math.sin(body.pitch) * 9.81, math.sin(body.roll) * 9.81, -9.81,
            0.0, 0.0, body.yaw_rate, 0.21, 0.01, 0.42, pressure, 0.0, body.alt_amsl_m, 25.0, 0x1FFF,
        )  # fmt: skip

    def timesync(self) -> mavlink.MAVLink_message:
        return self._mav.timesync_encode(0, self._v.time_boot_ms() * 1_000_000)

    def distance_sensor(self) -> mavlink.MAVLink_message:
        v = self._v
        agl_cm = int(max(0.0, v.flight.body.alt_amsl_m - v.ground_amsl_m) * 100)
        return self._mav.distance_sensor_encode(
            v.time_boot_ms(), 10, 4000, min(agl_cm, 4000), mavlink.MAV_DISTANCE_SENSOR_LASER, 0,
            mavlink.MAV_SENSOR_ROTATION_PITCH_270, 255,
        )  # fmt: skip

    def altitude(self) -> mavlink.MAVLink_message:
        v = self._v
        body = v.flight.body
        rel = body.alt_amsl_m - v.flight.home_alt_amsl_m
        return self._mav.altitude_encode(
            v.time_boot_ms() * 1000, body.alt_amsl_m, body.alt_amsl_m, rel, rel, NAN,
            body.alt_amsl_m - v.ground_amsl_m,
        )  # fmt: skip

    def battery_status(self) -> mavlink.MAVLink_message:
        v = self._v
        battery = v.battery
        cells = max(1, min(10, battery.spec.cells))
        cell_mv = int(battery.voltage_v / cells * 1000)
        voltages = [cell_mv] * cells + [65535] * (10 - cells)
        p = v.params
        level = battery.warning(p.get("BAT_LOW_THR"), p.get("BAT_CRIT_THR"), p.get("BAT_EMERGEN_THR"))
        return self._mav.battery_status_encode(
            0, mavlink.MAV_BATTERY_FUNCTION_ALL, mavlink.MAV_BATTERY_TYPE_LIPO, 32767, voltages,
            int(battery.current_a * 100), int(battery.consumed_mah), -1, round(battery.remaining * 100),
            0, int(level),
        )  # fmt: skip

    def estimator_status(self) -> mavlink.MAVLink_message:
        v = self._v
        flags = _ESTIMATOR_GOOD
        if v.gps_reading.fix < GpsFix.FIX_3D:
            flags &= ~(mavlink.ESTIMATOR_POS_HORIZ_ABS | mavlink.ESTIMATOR_PRED_POS_HORIZ_ABS)
            flags |= mavlink.ESTIMATOR_GPS_GLITCH
        return self._mav.estimator_status_encode(
            v.time_boot_ms() * 1000,
            flags,
            0.02,
            0.05,
            0.03,
            0.01,
            0.0,
            0.0,
            v.gps_reading.eph_m,
            v.gps_reading.epv_m,
        )

    def vibration(self) -> mavlink.MAVLink_message:
        return self._mav.vibration_encode(self._v.time_boot_ms() * 1000, 0.01, 0.01, 0.02, 0, 0, 0)

    def home_position(self) -> mavlink.MAVLink_message | None:
        home = self._v.home
        if home is None:
            return None
        return self._mav.home_position_encode(
            round(home.lat * 1e7), round(home.lon * 1e7), round(home.alt_amsl_m * 1000),
            0.0, 0.0, 0.0, [1.0, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0, self._v.time_boot_ms() * 1000,
        )  # fmt: skip

    def gps_global_origin(self) -> mavlink.MAVLink_message | None:
        home = self._v.home
        if home is None:
            return None
        return self._mav.gps_global_origin_encode(
            round(home.lat * 1e7), round(home.lon * 1e7), round(home.alt_amsl_m * 1000),
            self._v.time_boot_ms() * 1000,
        )  # fmt: skip

    def extended_sys_state(self) -> mavlink.MAVLink_message:
        return self._mav.extended_sys_state_encode(0, int(self._v.flight.landed_state))

    def odometry(self) -> mavlink.MAVLink_message:
        v = self._v
        body = v.flight.body
        q = euler_to_quaternion(body.roll, body.pitch, body.yaw)
        cos_y, sin_y = math.cos(body.yaw), math.sin(body.yaw)
        forward = body.v_north * cos_y + body.v_east * sin_y
        right = -body.v_north * sin_y + body.v_east * cos_y
        cov = [NAN] * 21
        return self._mav.odometry_encode(
            v.time_boot_ms() * 1000, mavlink.MAV_FRAME_LOCAL_NED, mavlink.MAV_FRAME_BODY_FRD,
            body.north_m, body.east_m, -(body.alt_amsl_m - v.flight.home_alt_amsl_m), q,
            forward, right, -body.v_up, 0.0, 0.0, body.yaw_rate, cov, cov, 0,
            mavlink.MAV_ESTIMATOR_TYPE_AUTOPILOT, 100,
        )  # fmt: skip

    def open_drone_id_location(self) -> mavlink.MAVLink_message:
        v = self._v
        body = v.flight.body
        airborne = v.flight.airborne
        direction = int((math.degrees(math.atan2(body.v_east, body.v_north)) + 360.0) % 360.0 * 100)
        seconds_in_hour = (v.time_unix_usec() / 1e6) % 3600.0
        home_alt = v.flight.home_alt_amsl_m
        return self._mav.open_drone_id_location_encode(
            0, 0, [0] * 20,
            mavlink.MAV_ODID_STATUS_AIRBORNE if airborne else mavlink.MAV_ODID_STATUS_GROUND,
            direction if body.ground_speed > 0.3 else 36100, int(min(body.ground_speed, 254.25) * 100),
            int(body.v_up * 100), int(v.lat * 1e7), int(v.lon * 1e7), body.alt_amsl_m, body.alt_amsl_m + 43.0,
            mavlink.MAV_ODID_HEIGHT_REF_OVER_TAKEOFF, body.alt_amsl_m - home_alt,
            mavlink.MAV_ODID_HOR_ACC_1_METER, mavlink.MAV_ODID_VER_ACC_3_METER,
            mavlink.MAV_ODID_VER_ACC_3_METER, mavlink.MAV_ODID_SPEED_ACC_1_METERS_PER_SECOND, seconds_in_hour,
            mavlink.MAV_ODID_TIME_ACC_1_0_SECOND,
        )  # fmt: skip

    def open_drone_id_system(self) -> mavlink.MAVLink_message:
        v = self._v
        home = v.home
        lat = int(home.lat * 1e7) if home else 0
        lon = int(home.lon * 1e7) if home else 0
        since_2019 = max(0, int(v.time_unix_usec() / 1e6) - 1546300800)
        return self._mav.open_drone_id_system_encode(
            0, 0, [0] * 20, mavlink.MAV_ODID_OPERATOR_LOCATION_TYPE_TAKEOFF,
            mavlink.MAV_ODID_CLASSIFICATION_TYPE_EU, lat, lon, 1, 0, -1000.0, -1000.0,
            mavlink.MAV_ODID_CATEGORY_EU_OPEN, mavlink.MAV_ODID_CLASS_EU_CLASS_2,
            home.alt_amsl_m + 43.0 if home else -1000.0, since_2019,
        )  # fmt: skip

    def autopilot_version(self) -> mavlink.MAVLink_message:
        """PX4 v1.16.0's AUTOPILOT_VERSION as captured (capabilities 0xE8FF, git hash bytes)."""
        git = [0, 0, 0, 87, 145, 83, 163, 110]
        return self._mav.autopilot_version_encode(
            AUTOPILOT_CAPABILITIES, 0x011000FF, 0x011000FF, 0x0612203FF & 0xFFFFFFFF, 1, git, git, [0] * 8,
            0, 0, self._uid(),
        )  # fmt: skip

    def _uid(self) -> int:
        return 0x4954414C00000000 | (self._mav.srcSystem << 8) | 0x01

    def landed(self) -> bool:
        return self._v.flight.landed_state == LandedState.ON_GROUND


AUTOPILOT_CAPABILITIES = (
    mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
    | mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
    | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_INT
    | mavlink.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
    | mavlink.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE
    | mavlink.MAV_PROTOCOL_CAPABILITY_FTP
    | mavlink.MAV_PROTOCOL_CAPABILITY_SET_ATTITUDE_TARGET
    | mavlink.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_LOCAL_NED
    | mavlink.MAV_PROTOCOL_CAPABILITY_FLIGHT_TERMINATION
    | mavlink.MAV_PROTOCOL_CAPABILITY_MAVLINK2
    | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
    | mavlink.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
)
