"""The MAVLink mission protocol (mission, geofence, rally) as PX4 v1.16 runs it on one link.

Observed PX4 behaviour this reproduces (px4_sitl traces): the first request on a link is the deprecated
MISSION_REQUEST until an *_INT message or a MISSION_ACK(UNSUPPORTED) shows the peer speaks INT;
out-of-sequence items are dropped silently; a stalled upload is re-requested every ~0.27 s and gives up
after ~5.1 s with STATUSTEXT 'Operation timeout' and no MISSION_ACK. Retries and timeouts are wall-clock
(design contract 8), whatever the simulation speed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from pymavlink.dialects.v20 import common as mavlink

from sim.mission_store import (
    GLOBAL_FRAMES,
    RELATIVE_FRAMES,
    MavFrame,
    MissionStore,
    MissionType,
    StoredItem,
)
from sim.statustext import Severity

# PX4 re-requested every 0.256-0.272 s (mean 0.269); the vehicle loop ticks every 10 ms, so a retry
# goes out on the first tick after this interval, ~0.27 s on average.
RETRY_INTERVAL_S = 0.265
TRANSFER_TIMEOUT_S = 5.09
# Between storing a new mission and the navigator having checked it (mission_result valid), PX4 refuses
# to start it. Trace e: starts 0.017 s and 0.519 s after the mission's MISSION_ACK were refused, one at
# 1.018-1.020 s accepted (both runs); this sits in the middle of that window. Wall clock, like the rest
# of the protocol: a ground station has to live with it whatever the simulation speed.
MISSION_LOAD_S = 0.75

# MavlinkMissionManager::MAX_COUNT of px4_sitl_default v1.16: CONFIG_NUM_MISSION_ITMES_SUPPORTED=10000
# (boards/px4/sitl/default.px4board), DM_KEY_FENCE_POINTS_MAX 64, DM_KEY_SAFE_POINTS_MAX 32
# (src/modules/dataman/dataman.h). A MISSION_COUNT above these gets MISSION_ACK NO_SPACE.
CAPACITY = {MissionType.MISSION: 10000, MissionType.FENCE: 64, MissionType.RALLY: 32}

FENCE_COMMANDS = frozenset(
    {
        mavlink.MAV_CMD_NAV_FENCE_RETURN_POINT,
        mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
        mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
        mavlink.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
        mavlink.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
    }
)
RALLY_COMMANDS = frozenset({mavlink.MAV_CMD_NAV_RALLY_POINT})
MISSION_NAV_COMMANDS = frozenset(
    {
        mavlink.MAV_CMD_NAV_WAYPOINT,
        mavlink.MAV_CMD_NAV_LOITER_UNLIM,
        mavlink.MAV_CMD_NAV_LOITER_TURNS,
        mavlink.MAV_CMD_NAV_LOITER_TIME,
        mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH,
        mavlink.MAV_CMD_NAV_LAND,
        mavlink.MAV_CMD_NAV_TAKEOFF,
        mavlink.MAV_CMD_NAV_LOITER_TO_ALT,
        mavlink.MAV_CMD_NAV_DELAY,
        mavlink.MAV_CMD_NAV_VTOL_TAKEOFF,
        mavlink.MAV_CMD_NAV_VTOL_LAND,
    }
)
MISSION_DO_COMMANDS = frozenset(
    {
        mavlink.MAV_CMD_DO_JUMP,
        mavlink.MAV_CMD_DO_CHANGE_SPEED,
        mavlink.MAV_CMD_DO_SET_HOME,
        mavlink.MAV_CMD_DO_SET_SERVO,
        mavlink.MAV_CMD_DO_LAND_START,
        mavlink.MAV_CMD_DO_SET_ROI_LOCATION,
        mavlink.MAV_CMD_DO_SET_ROI_NONE,
        mavlink.MAV_CMD_DO_SET_ROI,
        mavlink.MAV_CMD_DO_DIGICAM_CONTROL,
        mavlink.MAV_CMD_DO_MOUNT_CONFIGURE,
        mavlink.MAV_CMD_DO_MOUNT_CONTROL,
        mavlink.MAV_CMD_DO_SET_CAM_TRIGG_DIST,
        mavlink.MAV_CMD_DO_SET_CAM_TRIGG_INTERVAL,
        mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
        mavlink.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
        mavlink.MAV_CMD_DO_VTOL_TRANSITION,
        mavlink.MAV_CMD_DO_WINCH,
        mavlink.MAV_CMD_DO_GRIPPER,
        mavlink.MAV_CMD_IMAGE_START_CAPTURE,
        mavlink.MAV_CMD_IMAGE_STOP_CAPTURE,
        mavlink.MAV_CMD_VIDEO_START_CAPTURE,
        mavlink.MAV_CMD_VIDEO_STOP_CAPTURE,
        mavlink.MAV_CMD_SET_CAMERA_MODE,
        mavlink.MAV_CMD_SET_CAMERA_ZOOM,
        mavlink.MAV_CMD_SET_CAMERA_FOCUS,
        mavlink.MAV_CMD_CONDITION_DELAY,
        mavlink.MAV_CMD_CONDITION_DISTANCE,
        mavlink.MAV_CMD_CONDITION_YAW,
        mavlink.MAV_CMD_DO_SET_ACTUATOR,
    }
)
ALLOWED_COMMANDS: dict[MissionType, frozenset[int]] = {
    MissionType.MISSION: MISSION_NAV_COMMANDS | MISSION_DO_COMMANDS,
    MissionType.FENCE: FENCE_COMMANDS,
    MissionType.RALLY: RALLY_COMMANDS,
}


class TransferState(Enum):
    IDLE = "idle"
    RECEIVING = "receiving"
    SENDING = "sending"


@dataclass(frozen=True)
class Peer:
    system_id: int
    component_id: int


def validate_item(mission_type: MissionType, item: StoredItem) -> int:
    """MAV_MISSION_RESULT for one uploaded item (ACCEPTED when PX4 would store it)."""
    if item.command not in ALLOWED_COMMANDS[mission_type]:
        return mavlink.MAV_MISSION_UNSUPPORTED
    needs_position = mission_type != MissionType.MISSION or item.command in MISSION_NAV_COMMANDS
    if needs_position and item.command not in (
        mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH,
        mavlink.MAV_CMD_NAV_DELAY,
    ):
        if item.frame not in GLOBAL_FRAMES and item.frame != MavFrame.MISSION:
            return mavlink.MAV_MISSION_UNSUPPORTED_FRAME
        if item.frame in GLOBAL_FRAMES and not (-90e7 <= item.x <= 90e7 and -180e7 <= item.y <= 180e7):
            return (
                mavlink.MAV_MISSION_INVALID_PARAM5_X
                if abs(item.x) > 90e7
                else mavlink.MAV_MISSION_INVALID_PARAM6_Y
            )
        if not math.isfinite(item.z) and item.frame in GLOBAL_FRAMES:
            return mavlink.MAV_MISSION_INVALID_PARAM7
    if item.command in (
        mavlink.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
        mavlink.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
    ) and not (item.param1 > 0):
        return mavlink.MAV_MISSION_INVALID_PARAM1
    if item.command in (
        mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
        mavlink.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
    ) and not (item.param1 >= 3):
        return mavlink.MAV_MISSION_INVALID_PARAM1
    return mavlink.MAV_MISSION_ACCEPTED


def item_from_int(msg: mavlink.MAVLink_mission_item_int_message) -> StoredItem:
    return StoredItem(
        msg.seq, msg.frame, msg.command, msg.current, msg.autocontinue,
        msg.param1, msg.param2, msg.param3, msg.param4, msg.x, msg.y, msg.z,
    )  # fmt: skip


def item_from_float(msg: mavlink.MAVLink_mission_item_message) -> StoredItem:
    def to_int(deg: float) -> int:
        return round(deg * 1e7) if math.isfinite(deg) else 0

    return StoredItem(
        msg.seq, msg.frame, msg.command, msg.current, msg.autocontinue,
        msg.param1, msg.param2, msg.param3, msg.param4, to_int(msg.x), to_int(msg.y), msg.z,
    )  # fmt: skip


def stored_as_px4_returns(mission_type: MissionType, item: StoredItem, as_int: bool) -> StoredItem:
    """The item as PX4's download sends it back (trace e read-back): dataman keeps positions as
    lat/lon plus ``altitude_is_relative`` and ``format_mavlink_mission_item`` (mavlink_mission.cpp)
    rebuilds the frame from that flag for the request's form: relative -> 6 (INT) / 3, anything else,
    terrain frames included, -> 5 / 0. Fence points keep no ``autocontinue`` and are never relative.
    Items without a position (frame 2) come back as sent."""
    if item.frame not in GLOBAL_FRAMES:
        return item
    relative = mission_type != MissionType.FENCE and item.frame in RELATIVE_FRAMES
    if relative:
        frame = MavFrame.GLOBAL_RELATIVE_ALT_INT if as_int else MavFrame.GLOBAL_RELATIVE_ALT
    else:
        frame = MavFrame.GLOBAL_INT if as_int else MavFrame.GLOBAL
    autocontinue = 0 if mission_type == MissionType.FENCE else item.autocontinue
    return replace(item, frame=int(frame), autocontinue=autocontinue)


class MissionProtocol:
    """One transfer at a time per link, like PX4's MavlinkMissionManager."""

    def __init__(
        self,
        store: MissionStore,
        encoder: mavlink.MAVLink,
        send: Callable[[mavlink.MAVLink_message], None],
        statustext: Callable[[Severity, str], None],
        wall_clock: Callable[[], float],
        on_stored: Callable[[MissionType], None],
    ) -> None:
        self._store = store
        self._mav = encoder
        self._send = send
        self._statustext = statustext
        self._now = wall_clock
        self._on_stored = on_stored
        self.state = TransferState.IDLE
        self.int_mode = False
        self._type = MissionType.MISSION
        self._peer = Peer(0, 0)
        self._count = 0
        self._expected_seq = 0
        self._send_seq = 0
        self._received: list[StoredItem] = []
        self._last_request_at = 0.0
        self._last_progress_at = 0.0

    # ---- inbound -------------------------------------------------------------------------------
    def handle(self, msg: mavlink.MAVLink_message) -> None:
        kind = msg.get_type()
        peer = Peer(msg.get_srcSystem(), msg.get_srcComponent())
        if kind == "MISSION_COUNT":
            self._on_count(msg, peer)
        elif kind == "MISSION_ITEM_INT":
            self.int_mode = True
            self._on_item(item_from_int(msg), msg.mission_type)
        elif kind == "MISSION_ITEM":
            self._on_item(item_from_float(msg), msg.mission_type)
        elif kind == "MISSION_REQUEST_LIST":
            self._on_request_list(msg, peer)
        elif kind == "MISSION_REQUEST_INT":
            self.int_mode = True
            self._on_request(msg.seq, msg.mission_type, peer, as_int=True)
        elif kind == "MISSION_REQUEST":
            self._on_request(msg.seq, msg.mission_type, peer, as_int=False)
        elif kind == "MISSION_ACK":
            self._on_ack(msg)
        elif kind == "MISSION_CLEAR_ALL":
            self._on_clear(msg, peer)
        elif kind == "MISSION_SET_CURRENT":
            items = self._store.get(MissionType.MISSION)
            if 0 <= msg.seq < len(items):
                self._store.current_seq = msg.seq

    def _mission_type(self, raw: int) -> MissionType | None:
        try:
            return MissionType(raw)
        except ValueError:
            return None

    def _on_count(self, msg: mavlink.MAVLink_mission_count_message, peer: Peer) -> None:
        mission_type = self._mission_type(msg.mission_type)
        if mission_type is None or mission_type == MissionType.ALL:
            self._ack(peer, msg.mission_type, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        if self.state == TransferState.RECEIVING:
            if self._expected_seq == 0 and mission_type == self._type:
                self._request_next()  # our first request was probably lost: ask again
            else:
                self._ack(peer, msg.mission_type, mavlink.MAV_MISSION_ERROR)
            return
        if self.state == TransferState.SENDING:
            self._ack(peer, msg.mission_type, mavlink.MAV_MISSION_ERROR)
            return
        if msg.count == 0:
            self._store.clear(mission_type)
            self._on_stored(mission_type)
            self._ack(peer, mission_type, mavlink.MAV_MISSION_ACCEPTED)
            return
        if msg.count > CAPACITY[mission_type]:
            self._ack(peer, mission_type, mavlink.MAV_MISSION_NO_SPACE)
            return
        self.state = TransferState.RECEIVING
        self._type = mission_type
        self._peer = peer
        self._count = msg.count
        self._expected_seq = 0
        self._received = []
        self._last_progress_at = self._now()
        self._request_next()

    def _on_item(self, item: StoredItem, raw_type: int) -> None:
        if self.state != TransferState.RECEIVING or raw_type != self._type:
            return
        if item.seq != self._expected_seq:
            return  # PX4 drops out-of-sequence items without a NACK and re-requests on its timer
        result = validate_item(self._type, item)
        if result != mavlink.MAV_MISSION_ACCEPTED:
            self.state = TransferState.IDLE
            self._ack(self._peer, self._type, result)
            return
        self._received.append(item)
        self._expected_seq += 1
        self._last_progress_at = self._now()
        if self._expected_seq < self._count:
            self._request_next()
            return
        self.state = TransferState.IDLE
        self._store.replace_items(self._type, self._received)
        if self._type == MissionType.MISSION:
            flagged = [item.seq for item in self._received if item.current]
            self._store.uploaded_current_seq = flagged[-1] if flagged else -1
            self._store.loaded_at = self._now() + MISSION_LOAD_S
        self._received = []
        self._on_stored(self._type)
        self._ack(self._peer, self._type, mavlink.MAV_MISSION_ACCEPTED)

    def _on_request_list(self, msg: mavlink.MAVLink_mission_request_list_message, peer: Peer) -> None:
        mission_type = self._mission_type(msg.mission_type)
        if mission_type is None or mission_type == MissionType.ALL:
            self._ack(peer, msg.mission_type, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        if self.state == TransferState.RECEIVING:
            self._ack(peer, mission_type, mavlink.MAV_MISSION_ERROR)
            return
        count = len(self._store.get(mission_type))
        self._send(self._mav.mission_count_encode(peer.system_id, peer.component_id, count, mission_type))
        if count:
            self.state = TransferState.SENDING
            self._send_seq = 0
            self._type = mission_type
            self._peer = peer
            self._last_progress_at = self._now()

    def _on_request(self, seq: int, raw_type: int, peer: Peer, as_int: bool) -> None:
        """A download request, handled as handle_mission_request_both (mavlink_mission.cpp): ignored
        without a MISSION_REQUEST_LIST first; only the expected seq or the previous one (a retry) is
        served; any other aborts the transfer with MISSION_ACK ERROR and a text."""
        if self.state == TransferState.RECEIVING:
            self._statustext(Severity.CRITICAL, "WPM: REJ. CMD: Busy\t")
            return
        mission_type = self._mission_type(raw_type)
        if self.state != TransferState.SENDING or mission_type != self._type:
            return
        if seq == self._send_seq and seq < len(self._store.get(mission_type)):
            self._send_seq += 1
        elif seq != self._send_seq - 1:
            self.state = TransferState.IDLE
            self._ack(peer, mission_type, mavlink.MAV_MISSION_ERROR)
            self._statustext(Severity.CRITICAL, "WPM: REJ. CMD: Req. WP was unexpected\t")
            return
        items = self._store.get(mission_type)
        if not 0 <= seq < len(items):
            self._ack(peer, mission_type, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            return
        self._last_progress_at = self._now()
        current = 1 if seq == self._store.link_current_seq(self._now()) else 0
        item = stored_as_px4_returns(mission_type, items[seq], as_int)
        encode = self._mav.mission_item_int_encode if as_int else self._mav.mission_item_encode
        positional = item.frame in GLOBAL_FRAMES
        x, y = (item.lat, item.lon) if positional and not as_int else (item.x, item.y)
        msg = encode(
            peer.system_id, peer.component_id, seq, item.frame, item.command, current,
            item.autocontinue, item.param1, item.param2, item.param3, item.param4, x, y, item.z,
            mission_type,
        )  # fmt: skip
        self._send(msg)

    def _on_ack(self, msg: mavlink.MAVLink_mission_ack_message) -> None:
        if self.state == TransferState.RECEIVING:
            if msg.type == mavlink.MAV_MISSION_UNSUPPORTED and not self.int_mode:
                # MAVSDK rejects the deprecated MISSION_REQUEST this way; PX4 retries with INT at once.
                self.int_mode = True
                self._request_next()
            elif msg.type == mavlink.MAV_MISSION_OPERATION_CANCELLED:
                self.state = TransferState.IDLE
            return
        if self.state == TransferState.SENDING:
            self.state = TransferState.IDLE

    def _on_clear(self, msg: mavlink.MAVLink_mission_clear_all_message, peer: Peer) -> None:
        mission_type = self._mission_type(msg.mission_type)
        if mission_type is None:
            self._ack(peer, msg.mission_type, mavlink.MAV_MISSION_UNSUPPORTED)
            return
        if self.state != TransferState.IDLE:
            self._ack(peer, mission_type, mavlink.MAV_MISSION_ERROR)
            return
        self._store.clear(mission_type)
        for kind in (MissionType.MISSION, MissionType.FENCE, MissionType.RALLY):
            if mission_type in (kind, MissionType.ALL):
                self._on_stored(kind)
        self._ack(peer, mission_type, mavlink.MAV_MISSION_ACCEPTED)

    # ---- outbound ------------------------------------------------------------------------------
    def _request_next(self) -> None:
        peer = self._peer
        if self.int_mode:
            msg = self._mav.mission_request_int_encode(
                peer.system_id, peer.component_id, self._expected_seq, self._type
            )
        else:
            msg = self._mav.mission_request_encode(
                peer.system_id, peer.component_id, self._expected_seq, self._type
            )
        self._last_request_at = self._now()
        self._send(msg)

    def _ack(self, peer: Peer, mission_type: int, result: int) -> None:
        self._send(self._mav.mission_ack_encode(peer.system_id, peer.component_id, result, int(mission_type)))

    def tick(self) -> None:
        """Wall-clock retries and timeouts; called from the vehicle loop."""
        if self.state == TransferState.IDLE:
            return
        now = self._now()
        if now - self._last_progress_at >= TRANSFER_TIMEOUT_S:
            receiving = self.state == TransferState.RECEIVING
            self.state = TransferState.IDLE
            self._received = []
            if receiving:
                self._statustext(Severity.CRITICAL, "Operation timeout\t")
            return
        if self.state == TransferState.RECEIVING and now - self._last_request_at >= RETRY_INTERVAL_S:
            self._request_next()
