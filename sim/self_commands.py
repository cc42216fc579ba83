"""The COMMAND_LONGs PX4 addresses to its own system (target <sysid>/0) and repeats because nobody ACKs.

PX4's navigator publishes vehicle commands for its own modules (speed changes from mission items, the
mission's RTL item, camera trigger off and gimbal neutral when a mission stops, gimbal control handover
when RTL or LAND starts, a landing report after an RTL touchdown). Its MAVLink command sender forwards
them to the link with target component 0 and, lacking an ACK, repeats them with ``confirmation`` 1..3
(traces a-d: the first repeat ~1.02 s after the original, the next two ~0.515 s apart). A ground station
sees all of them and must ignore them; the simulator sends them so that this is tested.

PX4 keys its retransmission queue on the uORB timestamp, which the commands of one navigator cycle
share: only the first command of such a group is repeated (trace b: CONFIGURE(1,1) repeated, the
PITCHYAW and CONFIGURE(-3,-3) after it not). Here one group is everything issued between two
:meth:`SelfCommandSender.tick` calls, i.e. one vehicle step. What the navigator sends because a mode
changed comes one cycle after the command that changed it (trace a: DO_CHANGE_SPEED + RTL item in one
group, then the mission's and RTL's gimbal/trigger commands in the next), hence :class:`NavigatorCycle`.
Repeats run on the wall clock like the other protocol timers (design contract 8).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum

from pymavlink.dialects.v20 import common as mavlink

# Wall-clock delays before confirmation 1, 2 and 3 (traces a-d: +1.02 s, then +0.515 s twice).
RETRY_DELAYS_S = (1.02, 0.515, 0.515)
BROADCAST_COMPONENT = 0
NAN = float("nan")

Params7 = tuple[float, float, float, float, float, float, float]


class OnboardCommandId(IntEnum):
    """Command ids PX4 was seen sending to its own system."""

    LANDED_AFTER_RTL = 0  # PX4 publishes an id-0 command at "Landing detected" after an RTL
    NAV_RETURN_TO_LAUNCH = mavlink.MAV_CMD_NAV_RETURN_TO_LAUNCH
    DO_CHANGE_SPEED = mavlink.MAV_CMD_DO_CHANGE_SPEED
    DO_GIMBAL_MANAGER_PITCHYAW = mavlink.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW
    DO_GIMBAL_MANAGER_CONFIGURE = mavlink.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE
    DO_TRIGGER_CONTROL = mavlink.MAV_CMD_DO_TRIGGER_CONTROL


class NavigatorCycle(Enum):
    """Which navigator cycle (one retransmission group) a command belongs to."""

    CURRENT = "current"
    NEXT = "next"  # reactions to a mode change: PX4's navigator sees the new mode one cycle later


@dataclass(frozen=True)
class OnboardCommand:
    command: OnboardCommandId
    params: Params7


# ---- what PX4 sends on which occasion (parameters exactly as in the traces) -------------------------
def mission_speed_change(param1: float, param2: float, param3: float, param4: float) -> OnboardCommand:
    """A DO_CHANGE_SPEED mission item as it runs: the item's params, then x=0, y=0, z=NaN (trace a)."""
    return OnboardCommand(OnboardCommandId.DO_CHANGE_SPEED, (param1, param2, param3, param4, 0.0, 0.0, NAN))


def mission_return_to_launch() -> OnboardCommand:
    """The mission's NAV_RETURN_TO_LAUNCH item as it runs (trace a)."""
    return OnboardCommand(OnboardCommandId.NAV_RETURN_TO_LAUNCH, (NAN, NAN, NAN, NAN, 0.0, 0.0, 0.0))


def _gimbal_neutral() -> OnboardCommand:
    return OnboardCommand(OnboardCommandId.DO_GIMBAL_MANAGER_PITCHYAW, (NAN, NAN, NAN, NAN, 2.0, 0.0, 0.0))


def _gimbal_release() -> OnboardCommand:
    return OnboardCommand(
        OnboardCommandId.DO_GIMBAL_MANAGER_CONFIGURE, (-3.0, -3.0, -1.0, -1.0, 0.0, 0.0, 0.0)
    )


def mission_stopped() -> list[OnboardCommand]:
    """Leaving AUTO.MISSION in flight: camera trigger off, gimbal neutral, gimbal released (traces a, c)."""
    trigger_off = OnboardCommand(OnboardCommandId.DO_TRIGGER_CONTROL, (-1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0))
    return [trigger_off, _gimbal_neutral(), _gimbal_release()]


def gimbal_handover() -> list[OnboardCommand]:
    """RTL or LAND starting: take the gimbal (sysid 1, compid 1), neutral, release (traces a-d)."""
    acquire = OnboardCommand(
        OnboardCommandId.DO_GIMBAL_MANAGER_CONFIGURE, (1.0, 1.0, -1.0, -1.0, 0.0, 0.0, 0.0)
    )
    return [acquire, _gimbal_neutral(), _gimbal_release()]


def landed_after_rtl(home_alt_amsl_m: float) -> OnboardCommand:
    """'Landing detected' at the end of an RTL: id 0, p2=2, p3=80, p7=home AMSL (traces a-c, not d)."""
    return OnboardCommand(OnboardCommandId.LANDED_AFTER_RTL, (0.0, 2.0, 80.0, NAN, 0.0, 0.0, home_alt_amsl_m))


# ---- the sender -----------------------------------------------------------------------------------
@dataclass
class _Retransmission:
    command: OnboardCommand
    confirmation: int
    due_s: float


class SelfCommandSender:
    def __init__(
        self,
        encoder: mavlink.MAVLink,
        send: Callable[[mavlink.MAVLink_message], None],
        system_id: int,
        wall_clock: Callable[[], float],
    ) -> None:
        self._mav = encoder
        self._send = send
        self._system_id = system_id
        self._now = wall_clock
        self._group: list[OnboardCommand] = []
        self._next_group: list[OnboardCommand] = []
        self._retransmissions: list[_Retransmission] = []

    def issue(
        self, commands: Sequence[OnboardCommand], cycle: NavigatorCycle = NavigatorCycle.CURRENT
    ) -> None:
        """Queues commands; the current cycle's go out at the next :meth:`tick`, the next cycle's at the
        tick after that, as a group of their own."""
        (self._group if cycle == NavigatorCycle.CURRENT else self._next_group).extend(commands)

    @property
    def pending(self) -> int:
        """Commands still to be sent or repeated."""
        return len(self._group) + len(self._next_group) + len(self._retransmissions)

    def tick(self) -> None:
        now = self._now()
        group, self._group, self._next_group = self._group, self._next_group, []
        if group:
            for command in group:
                self._emit(command, 0)
            self._retransmissions.append(_Retransmission(group[0], 1, now + RETRY_DELAYS_S[0]))
        still_due: list[_Retransmission] = []
        for entry in self._retransmissions:
            if now < entry.due_s:
                still_due.append(entry)
                continue
            self._emit(entry.command, entry.confirmation)
            if entry.confirmation < len(RETRY_DELAYS_S):
                delay = RETRY_DELAYS_S[entry.confirmation]
                still_due.append(_Retransmission(entry.command, entry.confirmation + 1, now + delay))
        self._retransmissions = still_due

    def _emit(self, command: OnboardCommand, confirmation: int) -> None:
        self._send(
            self._mav.command_long_encode(
                self._system_id, BROADCAST_COMPONENT, int(command.command), confirmation, *command.params
            )
        )
