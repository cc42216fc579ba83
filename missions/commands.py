"""Every MAVLink ``MAV_CMD`` of the ``common`` dialect, classified once: what it does to the flight.

The validator may call a mission LEGAL only if it understood every item (design contract 18). So the
question "does this item move the vehicle?" is answered here, in one table, and nowhere else: the path
builder, the structure rules and the tests all read it. A command that is not in the table is unknown and
makes the verdict an error (rule ``unchecked``), never a warning.

Classes:

- ``POSITIONAL``: a navigation command whose params 5-7 are a position the vehicle flies to (or circles,
  or lands at). It is a vertex of the checked path.
- ``FLIGHT``: changes where or how the vehicle flies without being a plain vertex. ``modelled`` says
  whether borderwatch's path model reproduces it (RTL, DO_JUMP, speed, delays); the rest are errors,
  because the path after them is not known.
- ``PAYLOAD``: cameras, gimbals, lights, servos, logging, requests: the vehicle's path does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CommandClass(StrEnum):
    POSITIONAL = "positional"
    FLIGHT = "flight"
    PAYLOAD = "payload"


@dataclass(frozen=True)
class CommandInfo:
    name: str
    cls: CommandClass
    modelled: bool = True
    """FLIGHT only: whether the path model reproduces what the command does."""
    lands: bool = False
    """POSITIONAL only: the vehicle lands at the position and the mission's flight ends there."""
    radius_param: int | None = None
    """POSITIONAL only: index (0-based) of the param holding a loiter radius in metres (sign = direction)."""
    takes_off: bool = False
    """POSITIONAL only: climbs from the ground where the vehicle stands before flying to the position."""
    altitude_only: bool = False
    """POSITIONAL only: params 5-6 are ignored; the vehicle changes altitude where it is."""


_P = CommandClass.POSITIONAL
_F = CommandClass.FLIGHT
_Y = CommandClass.PAYLOAD

COMMANDS: dict[int, CommandInfo] = {
    16: CommandInfo("NAV_WAYPOINT", _P),
    17: CommandInfo("NAV_LOITER_UNLIM", _P, radius_param=2),
    18: CommandInfo("NAV_LOITER_TURNS", _P, radius_param=2),
    19: CommandInfo("NAV_LOITER_TIME", _P, radius_param=2),
    20: CommandInfo("NAV_RETURN_TO_LAUNCH", _F),
    21: CommandInfo("NAV_LAND", _P, lands=True),
    22: CommandInfo("NAV_TAKEOFF", _P, takes_off=True),
    23: CommandInfo("NAV_LAND_LOCAL", _F, modelled=False),  # local-frame position: not a global vertex
    24: CommandInfo("NAV_TAKEOFF_LOCAL", _F, modelled=False),
    25: CommandInfo("NAV_FOLLOW", _F, modelled=False),  # follows a moving target: path unknown
    30: CommandInfo("NAV_CONTINUE_AND_CHANGE_ALT", _P, altitude_only=True),
    31: CommandInfo("NAV_LOITER_TO_ALT", _P, radius_param=1),
    32: CommandInfo("DO_FOLLOW", _F, modelled=False),
    33: CommandInfo("DO_FOLLOW_REPOSITION", _F, modelled=False),
    34: CommandInfo("DO_ORBIT", _P, radius_param=0),
    35: CommandInfo("DO_FIGURE_EIGHT", _P, radius_param=1),
    36: CommandInfo("NAV_ARC_WAYPOINT", _P),
    80: CommandInfo("NAV_ROI", _Y),  # points the camera at a location; the vehicle does not go there
    81: CommandInfo("NAV_PATHPLANNING", _F, modelled=False),
    82: CommandInfo("NAV_SPLINE_WAYPOINT", _P),
    84: CommandInfo("NAV_VTOL_TAKEOFF", _P, takes_off=True),
    85: CommandInfo("NAV_VTOL_LAND", _P, lands=True),
    92: CommandInfo("NAV_GUIDED_ENABLE", _F, modelled=False),
    93: CommandInfo("NAV_DELAY", _F),  # waits in place: time only
    94: CommandInfo("NAV_PAYLOAD_PLACE", _P),
    95: CommandInfo("NAV_LAST", _F, modelled=False),
    112: CommandInfo("CONDITION_DELAY", _F),  # delays the next DO command: time only
    113: CommandInfo("CONDITION_CHANGE_ALT", _F, modelled=False),
    114: CommandInfo("CONDITION_DISTANCE", _F),  # gates the next DO command: path unchanged
    115: CommandInfo("CONDITION_YAW", _F),  # turns in place: path unchanged
    159: CommandInfo("CONDITION_LAST", _F, modelled=False),
    176: CommandInfo("DO_SET_MODE", _F, modelled=False),
    177: CommandInfo("DO_JUMP", _F),
    178: CommandInfo("DO_CHANGE_SPEED", _F),
    179: CommandInfo("DO_SET_HOME", _F, modelled=False),  # moves the RTL destination
    180: CommandInfo("DO_SET_PARAMETER", _F, modelled=False),  # can change any behaviour
    181: CommandInfo("DO_SET_RELAY", _Y),
    182: CommandInfo("DO_REPEAT_RELAY", _Y),
    183: CommandInfo("DO_SET_SERVO", _Y),
    184: CommandInfo("DO_REPEAT_SERVO", _Y),
    185: CommandInfo("DO_FLIGHTTERMINATION", _F, modelled=False),
    186: CommandInfo("DO_CHANGE_ALTITUDE", _F, modelled=False),
    187: CommandInfo("DO_SET_ACTUATOR", _Y),
    188: CommandInfo("DO_RETURN_PATH_START", _F, modelled=False),
    189: CommandInfo("DO_LAND_START", _F, modelled=False),  # RTL may jump here: changes the return path
    190: CommandInfo("DO_RALLY_LAND", _F, modelled=False),
    191: CommandInfo("DO_GO_AROUND", _F, modelled=False),
    192: CommandInfo("DO_REPOSITION", _P),
    193: CommandInfo("DO_PAUSE_CONTINUE", _F, modelled=False),
    194: CommandInfo("DO_SET_REVERSE", _F, modelled=False),
    195: CommandInfo("DO_SET_ROI_LOCATION", _Y),
    196: CommandInfo("DO_SET_ROI_WPNEXT_OFFSET", _Y),
    197: CommandInfo("DO_SET_ROI_NONE", _Y),
    198: CommandInfo("DO_SET_ROI_SYSID", _Y),
    200: CommandInfo("DO_CONTROL_VIDEO", _Y),
    201: CommandInfo("DO_SET_ROI", _Y),
    202: CommandInfo("DO_DIGICAM_CONFIGURE", _Y),
    203: CommandInfo("DO_DIGICAM_CONTROL", _Y),
    204: CommandInfo("DO_MOUNT_CONFIGURE", _Y),
    205: CommandInfo("DO_MOUNT_CONTROL", _Y),
    206: CommandInfo("DO_SET_CAM_TRIGG_DIST", _Y),
    207: CommandInfo("DO_FENCE_ENABLE", _F, modelled=False),  # switching the fence off is not checkable
    208: CommandInfo("DO_PARACHUTE", _F, modelled=False),
    209: CommandInfo("DO_MOTOR_TEST", _F, modelled=False),
    210: CommandInfo("DO_INVERTED_FLIGHT", _F, modelled=False),
    211: CommandInfo("DO_GRIPPER", _Y),
    212: CommandInfo("DO_AUTOTUNE_ENABLE", _F, modelled=False),
    213: CommandInfo("NAV_SET_YAW_SPEED", _F, modelled=False),
    214: CommandInfo("DO_SET_CAM_TRIGG_INTERVAL", _Y),
    220: CommandInfo("DO_MOUNT_CONTROL_QUAT", _Y),
    221: CommandInfo("DO_GUIDED_MASTER", _F, modelled=False),
    222: CommandInfo("DO_GUIDED_LIMITS", _F, modelled=False),
    223: CommandInfo("DO_ENGINE_CONTROL", _F, modelled=False),
    224: CommandInfo("DO_SET_MISSION_CURRENT", _F, modelled=False),
    240: CommandInfo("DO_LAST", _F, modelled=False),
    241: CommandInfo("PREFLIGHT_CALIBRATION", _F, modelled=False),
    242: CommandInfo("PREFLIGHT_SET_SENSOR_OFFSETS", _F, modelled=False),
    243: CommandInfo("PREFLIGHT_UAVCAN", _F, modelled=False),
    245: CommandInfo("PREFLIGHT_STORAGE", _F, modelled=False),
    246: CommandInfo("PREFLIGHT_REBOOT_SHUTDOWN", _F, modelled=False),
    252: CommandInfo("OVERRIDE_GOTO", _F, modelled=False),
    260: CommandInfo("OBLIQUE_SURVEY", _Y),  # camera triggering along the following legs
    262: CommandInfo("DO_SET_STANDARD_MODE", _F, modelled=False),
    300: CommandInfo("MISSION_START", _F, modelled=False),
    310: CommandInfo("ACTUATOR_TEST", _F, modelled=False),
    311: CommandInfo("CONFIGURE_ACTUATOR", _F, modelled=False),
    400: CommandInfo("COMPONENT_ARM_DISARM", _F, modelled=False),
    401: CommandInfo("RUN_PREARM_CHECKS", _F, modelled=False),
    405: CommandInfo("ILLUMINATOR_ON_OFF", _Y),
    406: CommandInfo("DO_ILLUMINATOR_CONFIGURE", _Y),
    410: CommandInfo("GET_HOME_POSITION", _Y),
    420: CommandInfo("INJECT_FAILURE", _F, modelled=False),
    500: CommandInfo("START_RX_PAIR", _F, modelled=False),
    510: CommandInfo("GET_MESSAGE_INTERVAL", _Y),
    511: CommandInfo("SET_MESSAGE_INTERVAL", _Y),
    512: CommandInfo("REQUEST_MESSAGE", _Y),
    519: CommandInfo("REQUEST_PROTOCOL_VERSION", _Y),
    520: CommandInfo("REQUEST_AUTOPILOT_CAPABILITIES", _Y),
    521: CommandInfo("REQUEST_CAMERA_INFORMATION", _Y),
    522: CommandInfo("REQUEST_CAMERA_SETTINGS", _Y),
    525: CommandInfo("REQUEST_STORAGE_INFORMATION", _Y),
    526: CommandInfo("STORAGE_FORMAT", _Y),
    527: CommandInfo("REQUEST_CAMERA_CAPTURE_STATUS", _Y),
    528: CommandInfo("REQUEST_FLIGHT_INFORMATION", _Y),
    529: CommandInfo("RESET_CAMERA_SETTINGS", _Y),
    530: CommandInfo("SET_CAMERA_MODE", _Y),
    531: CommandInfo("SET_CAMERA_ZOOM", _Y),
    532: CommandInfo("SET_CAMERA_FOCUS", _Y),
    533: CommandInfo("SET_STORAGE_USAGE", _Y),
    534: CommandInfo("SET_CAMERA_SOURCE", _Y),
    600: CommandInfo("JUMP_TAG", _Y),  # a label only
    601: CommandInfo("DO_JUMP_TAG", _F, modelled=False),
    1000: CommandInfo("DO_GIMBAL_MANAGER_PITCHYAW", _Y),
    1001: CommandInfo("DO_GIMBAL_MANAGER_CONFIGURE", _Y),
    2000: CommandInfo("IMAGE_START_CAPTURE", _Y),
    2001: CommandInfo("IMAGE_STOP_CAPTURE", _Y),
    2002: CommandInfo("REQUEST_CAMERA_IMAGE_CAPTURE", _Y),
    2003: CommandInfo("DO_TRIGGER_CONTROL", _Y),
    2004: CommandInfo("CAMERA_TRACK_POINT", _Y),
    2005: CommandInfo("CAMERA_TRACK_RECTANGLE", _Y),
    2010: CommandInfo("CAMERA_STOP_TRACKING", _Y),
    2500: CommandInfo("VIDEO_START_CAPTURE", _Y),
    2501: CommandInfo("VIDEO_STOP_CAPTURE", _Y),
    2502: CommandInfo("VIDEO_START_STREAMING", _Y),
    2503: CommandInfo("VIDEO_STOP_STREAMING", _Y),
    2504: CommandInfo("REQUEST_VIDEO_STREAM_INFORMATION", _Y),
    2505: CommandInfo("REQUEST_VIDEO_STREAM_STATUS", _Y),
    2510: CommandInfo("LOGGING_START", _Y),
    2511: CommandInfo("LOGGING_STOP", _Y),
    2520: CommandInfo("AIRFRAME_CONFIGURATION", _F, modelled=False),  # landing gear
    2600: CommandInfo("CONTROL_HIGH_LATENCY", _Y),
    2800: CommandInfo("PANORAMA_CREATE", _F, modelled=False),  # rotates the vehicle for a long time
    3000: CommandInfo("DO_VTOL_TRANSITION", _F, modelled=False),
    3001: CommandInfo("ARM_AUTHORIZATION_REQUEST", _F, modelled=False),
    4000: CommandInfo("SET_GUIDED_SUBMODE_STANDARD", _F, modelled=False),
    4001: CommandInfo("SET_GUIDED_SUBMODE_CIRCLE", _F, modelled=False),
    4501: CommandInfo("CONDITION_GATE", _F, modelled=False),
    5000: CommandInfo("NAV_FENCE_RETURN_POINT", _F, modelled=False),  # fence protocol, not a mission item
    5001: CommandInfo("NAV_FENCE_POLYGON_VERTEX_INCLUSION", _F, modelled=False),
    5002: CommandInfo("NAV_FENCE_POLYGON_VERTEX_EXCLUSION", _F, modelled=False),
    5003: CommandInfo("NAV_FENCE_CIRCLE_INCLUSION", _F, modelled=False),
    5004: CommandInfo("NAV_FENCE_CIRCLE_EXCLUSION", _F, modelled=False),
    5100: CommandInfo("NAV_RALLY_POINT", _F, modelled=False),  # rally protocol, not a mission item
    5200: CommandInfo("UAVCAN_GET_NODE_INFO", _Y),
    5300: CommandInfo("DO_SET_SAFETY_SWITCH_STATE", _F, modelled=False),
    10001: CommandInfo("DO_ADSB_OUT_IDENT", _Y),
    30001: CommandInfo("PAYLOAD_PREPARE_DEPLOY", _F, modelled=False),
    30002: CommandInfo("PAYLOAD_CONTROL_DEPLOY", _F, modelled=False),
    31000: CommandInfo("WAYPOINT_USER_1", _F, modelled=False),  # user-defined meaning: not checkable
    31001: CommandInfo("WAYPOINT_USER_2", _F, modelled=False),
    31002: CommandInfo("WAYPOINT_USER_3", _F, modelled=False),
    31003: CommandInfo("WAYPOINT_USER_4", _F, modelled=False),
    31004: CommandInfo("WAYPOINT_USER_5", _F, modelled=False),
    31005: CommandInfo("SPATIAL_USER_1", _F, modelled=False),
    31006: CommandInfo("SPATIAL_USER_2", _F, modelled=False),
    31007: CommandInfo("SPATIAL_USER_3", _F, modelled=False),
    31008: CommandInfo("SPATIAL_USER_4", _F, modelled=False),
    31009: CommandInfo("SPATIAL_USER_5", _F, modelled=False),
    31010: CommandInfo("USER_1", _F, modelled=False),
    31011: CommandInfo("USER_2", _F, modelled=False),
    31012: CommandInfo("USER_3", _F, modelled=False),
    31013: CommandInfo("USER_4", _F, modelled=False),
    31014: CommandInfo("USER_5", _F, modelled=False),
    32000: CommandInfo("CAN_FORWARD", _Y),
    42006: CommandInfo("FIXED_MAG_CAL_YAW", _F, modelled=False),
    42600: CommandInfo("DO_WINCH", _Y),
    43000: CommandInfo("GUIDED_CHANGE_SPEED", _F, modelled=False),
    43001: CommandInfo("GUIDED_CHANGE_ALTITUDE", _F, modelled=False),
    43002: CommandInfo("GUIDED_CHANGE_HEADING", _F, modelled=False),
    43003: CommandInfo("EXTERNAL_POSITION_ESTIMATE", _F, modelled=False),
}

DELAY_PARAM1_COMMANDS = frozenset({93, 112})
"""NAV_DELAY and CONDITION_DELAY: param1 is a wait in seconds (time, not path)."""


def command_info(command: int) -> CommandInfo | None:
    """The table entry, None for a command borderwatch does not know (an ``unchecked`` error)."""
    return COMMANDS.get(command)


def is_positional(command: int) -> bool:
    info = COMMANDS.get(command)
    return info is not None and info.cls is CommandClass.POSITIONAL


TYPED_FLIGHT_COMMANDS = frozenset({20, 177, 178})
"""RTL, DO_JUMP and DO_CHANGE_SPEED are modelled through their typed items only: the same command with
params the typed item cannot hold is not checkable."""
