"""Typed command errors, so the API can map each to one HTTP status and a clear message."""

from __future__ import annotations


class CommandError(Exception):
    """Base of every error a fleet command raises on purpose.

    ``plan_cleared`` is set when an upload failed: True when the station emptied the vehicle's lists
    afterwards (so nothing unapproved stays on board), False when even that failed.
    """

    plan_cleared: bool | None = None

    def plan_note(self) -> str:
        if self.plan_cleared is None:
            return ""
        if self.plan_cleared:
            return "; the vehicle's mission, geofence and rally points were cleared"
        return (
            "; clearing the vehicle's plan FAILED: it may hold unapproved items, and the station refuses "
            "to start a mission until an approved plan is verified on board"
        )


class VehicleNotFound(CommandError, KeyError):
    def __init__(self, vehicle_id: str) -> None:
        super().__init__(vehicle_id)
        self.vehicle_id = vehicle_id

    def __str__(self) -> str:
        return f"no vehicle {self.vehicle_id!r} is configured"


class VehicleNotConnected(CommandError):
    def __init__(self, vehicle_id: str, reason: str = "no link") -> None:
        super().__init__(vehicle_id, reason)
        self.vehicle_id = vehicle_id
        self.reason = reason

    def __str__(self) -> str:
        return f"vehicle {self.vehicle_id!r} is not connected ({self.reason})"


class CommandRejected(CommandError):
    """The vehicle (or MAVSDK on its behalf) said no; ``result`` is the MAVSDK result name."""

    def __init__(self, vehicle_id: str, command: str, result: str) -> None:
        super().__init__(vehicle_id, command, result)
        self.vehicle_id = vehicle_id
        self.command = command
        self.result = result

    def __str__(self) -> str:
        return f"vehicle {self.vehicle_id!r} rejected {self.command}: {self.result}{self.plan_note()}"


class CommandTimeout(CommandError, TimeoutError):
    def __init__(self, vehicle_id: str, command: str, timeout_s: float) -> None:
        super().__init__(vehicle_id, command, timeout_s)
        self.vehicle_id = vehicle_id
        self.command = command
        self.timeout_s = timeout_s

    def __str__(self) -> str:
        return (
            f"vehicle {self.vehicle_id!r} did not complete {self.command} within {self.timeout_s:.0f} s"
            f"{self.plan_note()}"
        )


class MissionMismatch(CommandError):
    """What the vehicle holds after the upload differs from what was approved."""

    def __init__(self, vehicle_id: str, plan_part: str, differences: list[str]) -> None:
        super().__init__(vehicle_id, plan_part, differences)
        self.vehicle_id = vehicle_id
        self.plan_part = plan_part
        self.differences = differences

    def __str__(self) -> str:
        shown = "; ".join(self.differences[:5])
        more = f" (+{len(self.differences) - 5} more)" if len(self.differences) > 5 else ""
        return (
            f"vehicle {self.vehicle_id!r}: downloaded {self.plan_part} differs from the approved one: "
            f"{shown}{more}{self.plan_note()}"
        )


class NoVerifiedPlan(CommandError):
    """Start refused: the station has not verified an approved plan on board this vehicle."""

    def __init__(self, vehicle_id: str, reason: str) -> None:
        super().__init__(vehicle_id, reason)
        self.vehicle_id = vehicle_id
        self.reason = reason

    def __str__(self) -> str:
        return f"vehicle {self.vehicle_id!r}: mission start refused: {self.reason}"


# Names the brief used; kept as aliases so callers can use either.
Timeout = CommandTimeout
