"""Which telemetry messages a link streams and how often; SET/GET_MESSAGE_INTERVAL act on this.

Default rates are the configured rates of PX4 v1.16's onboard/API mavlink instance (the link in the
traces; measured ~2 % lower there). Rates are per second of link time (``sim/clock.py``), which is the
wall clock while the loop keeps up: a faster simulation advances vehicle time faster, not the number of
packets a ground station has to digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from pymavlink.dialects.v20 import common as mavlink


class StreamId(IntEnum):
    HEARTBEAT = mavlink.MAVLINK_MSG_ID_HEARTBEAT
    SYS_STATUS = mavlink.MAVLINK_MSG_ID_SYS_STATUS
    SYSTEM_TIME = mavlink.MAVLINK_MSG_ID_SYSTEM_TIME
    PING = mavlink.MAVLINK_MSG_ID_PING
    GPS_RAW_INT = mavlink.MAVLINK_MSG_ID_GPS_RAW_INT
    SCALED_PRESSURE = mavlink.MAVLINK_MSG_ID_SCALED_PRESSURE
    ATTITUDE = mavlink.MAVLINK_MSG_ID_ATTITUDE
    ATTITUDE_QUATERNION = mavlink.MAVLINK_MSG_ID_ATTITUDE_QUATERNION
    LOCAL_POSITION_NED = mavlink.MAVLINK_MSG_ID_LOCAL_POSITION_NED
    GLOBAL_POSITION_INT = mavlink.MAVLINK_MSG_ID_GLOBAL_POSITION_INT
    SERVO_OUTPUT_RAW = mavlink.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW
    MISSION_CURRENT = mavlink.MAVLINK_MSG_ID_MISSION_CURRENT
    VFR_HUD = mavlink.MAVLINK_MSG_ID_VFR_HUD
    ATTITUDE_TARGET = mavlink.MAVLINK_MSG_ID_ATTITUDE_TARGET
    POSITION_TARGET_LOCAL_NED = mavlink.MAVLINK_MSG_ID_POSITION_TARGET_LOCAL_NED
    POSITION_TARGET_GLOBAL_INT = mavlink.MAVLINK_MSG_ID_POSITION_TARGET_GLOBAL_INT
    HIGHRES_IMU = mavlink.MAVLINK_MSG_ID_HIGHRES_IMU
    TIMESYNC = mavlink.MAVLINK_MSG_ID_TIMESYNC
    DISTANCE_SENSOR = mavlink.MAVLINK_MSG_ID_DISTANCE_SENSOR
    ALTITUDE = mavlink.MAVLINK_MSG_ID_ALTITUDE
    BATTERY_STATUS = mavlink.MAVLINK_MSG_ID_BATTERY_STATUS
    ESTIMATOR_STATUS = mavlink.MAVLINK_MSG_ID_ESTIMATOR_STATUS
    VIBRATION = mavlink.MAVLINK_MSG_ID_VIBRATION
    HOME_POSITION = mavlink.MAVLINK_MSG_ID_HOME_POSITION
    EXTENDED_SYS_STATE = mavlink.MAVLINK_MSG_ID_EXTENDED_SYS_STATE
    ODOMETRY = mavlink.MAVLINK_MSG_ID_ODOMETRY
    OPEN_DRONE_ID_LOCATION = mavlink.MAVLINK_MSG_ID_OPEN_DRONE_ID_LOCATION
    OPEN_DRONE_ID_SYSTEM = mavlink.MAVLINK_MSG_ID_OPEN_DRONE_ID_SYSTEM


DEFAULT_RATES_HZ: dict[StreamId, float] = {
    StreamId.ATTITUDE: 100.0,
    StreamId.HIGHRES_IMU: 50.0,
    StreamId.ATTITUDE_QUATERNION: 50.0,
    StreamId.GLOBAL_POSITION_INT: 50.0,
    StreamId.LOCAL_POSITION_NED: 30.0,
    StreamId.ODOMETRY: 30.0,
    StreamId.ATTITUDE_TARGET: 10.0,
    StreamId.POSITION_TARGET_LOCAL_NED: 10.0,
    StreamId.POSITION_TARGET_GLOBAL_INT: 10.0,
    StreamId.SERVO_OUTPUT_RAW: 10.0,
    StreamId.ALTITUDE: 10.0,
    StreamId.TIMESYNC: 10.0,
    StreamId.DISTANCE_SENSOR: 10.0,
    StreamId.VFR_HUD: 10.0,
    StreamId.GPS_RAW_INT: 8.0,
    StreamId.SYS_STATUS: 5.0,
    StreamId.EXTENDED_SYS_STATE: 5.0,
    StreamId.HEARTBEAT: 1.0,
    StreamId.MISSION_CURRENT: 1.0,
    StreamId.ESTIMATOR_STATUS: 1.0,
    StreamId.SCALED_PRESSURE: 1.0,
    StreamId.SYSTEM_TIME: 1.0,
    StreamId.PING: 1.0,
    StreamId.OPEN_DRONE_ID_LOCATION: 1.0,
    StreamId.OPEN_DRONE_ID_SYSTEM: 1.0,
    StreamId.HOME_POSITION: 0.5,
    StreamId.BATTERY_STATUS: 0.5,
    StreamId.VIBRATION: 0.5,
}

# Messages that REQUEST_MESSAGE / SET_MESSAGE_INTERVAL may name beyond the default streams.
MAX_CATCH_UP_S = 0.1

ON_REQUEST_ONLY = frozenset(
    {
        mavlink.MAVLINK_MSG_ID_AUTOPILOT_VERSION,
        mavlink.MAVLINK_MSG_ID_GPS_GLOBAL_ORIGIN,
    }
)


# PX4 sends ~2 % below the configured rate (98 Hz for 100, 49 for 50, 9.8 for 10, ~0.95-0.98 for 1;
# trace README "Default message rates"): its stream scheduler fires on the first loop pass after the
# interval. MESSAGE_INTERVAL still reports the configured interval, as PX4 does.
PX4_RATE_EFFICIENCY = 0.98


# Not a mavlink stream in PX4: MavlinkMissionManager sends MISSION_CURRENT (and the MISSION_ITEM_REACHED
# repeats) when its _slow_rate_limiter fires, and MavlinkRateLimiter::check() restarts the second from
# the send (_last_sent = t), so a late send is never made up by a shorter gap (mavlink_rate_limiter.cpp).
RATE_LIMITED = frozenset({StreamId.MISSION_CURRENT})


@dataclass
class Stream:
    stream_id: StreamId
    interval_s: float  # configured; <= 0 means disabled
    next_due: float = 0.0

    @property
    def effective_interval_s(self) -> float:
        return self.interval_s / PX4_RATE_EFFICIENCY


def _phase(stream_id: StreamId) -> float:
    """Deterministic start offset in [0, 1) of an interval, so streams of equal rate do not all fire
    in the same tick at boot (PX4's streams start staggered too)."""
    return 0.0 if stream_id == StreamId.HEARTBEAT else ((int(stream_id) * 0.618034) % 1.0)


class StreamTable:
    """Per-link stream intervals and due times (wall-clock seconds)."""

    def __init__(self) -> None:
        self.streams: dict[StreamId, Stream] = {
            sid: Stream(sid, 1.0 / hz) for sid, hz in DEFAULT_RATES_HZ.items()
        }
        self._active = list(self.streams.values())
        self._started = False

    def default_interval_us(self, stream_id: StreamId) -> int:
        return round(1e6 / DEFAULT_RATES_HZ[stream_id])

    def set_interval(self, msg_id: int, interval_us: float, now: float) -> bool:
        """PX4 semantics: >0 sets, -1 disables, 0 restores the default. False for unknown messages."""
        try:
            stream_id = StreamId(msg_id)
        except ValueError:
            return msg_id in ON_REQUEST_ONLY
        stream = self.streams.get(stream_id)
        if stream is None:
            stream = self.streams[stream_id] = Stream(stream_id, 0.0)
        if interval_us == 0:
            stream.interval_s = 1.0 / DEFAULT_RATES_HZ[stream_id] if stream_id in DEFAULT_RATES_HZ else 0.0
        elif interval_us < 0:
            stream.interval_s = 0.0
        else:
            stream.interval_s = interval_us / 1e6
        stream.next_due = now
        self._active = [s for s in self.streams.values() if s.interval_s > 0]
        return True

    def interval_us(self, msg_id: int) -> int:
        """MESSAGE_INTERVAL value: the interval, -1 when disabled, 0 when not available."""
        try:
            stream = self.streams.get(StreamId(msg_id))
        except ValueError:
            return 0
        if stream is None:
            return 0
        if stream.interval_s <= 0:
            return -1
        return round(stream.interval_s * 1e6)

    def due(self, now: float) -> list[StreamId]:
        if not self._started:
            self._started = True
            for stream in self._active:
                stream.next_due = now + _phase(stream.stream_id) * stream.effective_interval_s
        out: list[StreamId] = []
        for stream in self._active:
            if now >= stream.next_due:
                out.append(stream.stream_id)
                if stream.stream_id in RATE_LIMITED:
                    stream.next_due = now + stream.effective_interval_s
                    continue
                interval = stream.effective_interval_s
                stream.next_due += interval
                # A late tick (a loaded core) is made up on the next ticks, so a 100 Hz stream on the
                # 100 Hz loop keeps its rate; only a long stall drops what it missed.
                if stream.next_due < now - MAX_CATCH_UP_S:
                    stream.next_due = now + interval
        return out
