"""The mission model: an ordered list of typed items, every altitude with its frame.

Immutable pydantic models, so a mission can be checked, stored, serialised in the API and compared for
equality ("the vehicle holds exactly what was approved") without a separate DTO layer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Longitude = Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0, allow_inf_nan=False)]
AltitudeM = Annotated[float, Field(ge=-1000.0, le=20_000.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]

MAX_ITEMS = 10_000
"""Items per mission (and per fence/rally list): more than any real flight, few enough that checking,
converting and uploading one mission stays bounded (a 1e6-item body used to freeze the station)."""
MAX_TEXT = 200
"""Characters in a name or other free text."""
ShortText = Annotated[str, Field(max_length=MAX_TEXT)]


class AltFrame(StrEnum):
    """What an item's altitude is measured from (design contract 1)."""

    AGL = "AGL"  # above the terrain under the point
    AMSL = "AMSL"  # above mean sea level (EGM96)
    REL_HOME = "REL_HOME"  # above the home position


class OperationCategory(StrEnum):
    """EU 2019/947 operation categories that change which limits apply."""

    OPEN = "OPEN"
    SPECIFIC = "SPECIFIC"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class QgcItemInfo(_Frozen):
    """What a QGC ``SimpleItem`` carried besides its MAVLink command, kept so that a plan is written back
    exactly as QGC wrote it (QGC's ``MissionItem::save`` and ``SimpleMissionItem::save``)."""

    do_jump_id: int | None = None
    """QGC's ``doJumpId``: the number DO_JUMP items in the plan refer to (not the item index)."""
    auto_continue: bool = True
    altitude_mode: int | None = None
    """QGC AltitudeMode as read (1 relative, 2 absolute, 3 calc. above terrain, 4 terrain frame); None when
    the item had no AltitudeMode/Altitude/AMSLAltAboveTerrain keys."""
    altitude: float | None = None
    """QGC ``Altitude`` as read (for mode 3 the height above terrain); None for JSON null."""
    amsl_alt_above_terrain: float | None = None
    complex_index: int | None = None
    """Index into ``QgcPlanInfo.complex_items`` when a QGC complex item (survey) generated this item."""


class _Item(_Frozen):
    qgc: QgcItemInfo | None = None
    """QGC plan fields of this item, when it came from a .plan (None: borderwatch made it)."""


class _Positioned(_Item):
    lon: Longitude
    lat: Latitude
    alt_m: AltitudeM
    alt_frame: AltFrame = AltFrame.REL_HOME
    agl_intent_m: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] | None = None
    """Height above terrain the planner asked for when this AMSL altitude was derived from terrain."""


class Takeoff(_Positioned):
    """Climb vertically to ``alt_m`` at (lon, lat); the first flying item of every mission."""

    kind: Literal["takeoff"] = "takeoff"
    pitch_deg: FiniteFloat = 0.0


class Waypoint(_Positioned):
    kind: Literal["waypoint"] = "waypoint"
    hold_s: NonNegative = 0.0
    acceptance_radius_m: NonNegative = 0.0
    """0 means the vehicle's default (PX4 NAV_ACC_RAD)."""
    yaw_deg: FiniteFloat | None = None
    """None keeps the vehicle's yaw behaviour (NaN on the wire)."""


class Loiter(_Positioned):
    """Circle (lon, lat) for a time, e.g. to watch a scene."""

    kind: Literal["loiter"] = "loiter"
    duration_s: NonNegative
    radius_m: NonNegative = 0.0
    clockwise: bool = True


class Orbit(_Positioned):
    """Circle (lon, lat) a number of turns."""

    kind: Literal["orbit"] = "orbit"
    turns: Positive
    radius_m: Positive
    clockwise: bool = True


class CameraTriggerDistance(_Item):
    """Trigger the camera every ``distance_m`` metres; 0 stops triggering."""

    kind: Literal["camera_trigger_distance"] = "camera_trigger_distance"
    distance_m: NonNegative


class CameraTriggerTime(_Item):
    """Capture an image every ``interval_s`` seconds; ``count`` 0 means until stopped."""

    kind: Literal["camera_trigger_time"] = "camera_trigger_time"
    interval_s: NonNegative
    count: Annotated[int, Field(ge=0)] = 0


class CameraStop(_Item):
    kind: Literal["camera_stop"] = "camera_stop"


class GimbalPitch(_Item):
    kind: Literal["gimbal_pitch"] = "gimbal_pitch"
    pitch_deg: Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False)]
    yaw_deg: Annotated[float, Field(ge=-180.0, le=180.0, allow_inf_nan=False)] = 0.0


class RegionOfInterest(_Item):
    """Point the camera/vehicle at this location until cleared; not a place the vehicle flies to."""

    kind: Literal["roi"] = "roi"
    lon: Longitude
    lat: Latitude
    alt_m: AltitudeM = 0.0
    alt_frame: AltFrame = AltFrame.AMSL


class ChangeSpeed(_Item):
    kind: Literal["change_speed"] = "change_speed"
    speed_m_s: Positive


class ReturnToLaunch(_Item):
    kind: Literal["rtl"] = "rtl"


class Land(_Item):
    kind: Literal["land"] = "land"
    lon: Longitude
    lat: Latitude


class DoJump(_Item):
    """MAV_CMD_DO_JUMP: go back to item ``target_item`` (index in ``items``, PX4's mission sequence number)
    ``repeat`` more times. QGC plans refer to the target by its ``doJumpId``; the plan reader translates."""

    kind: Literal["do_jump"] = "do_jump"
    target_item: Annotated[int, Field(ge=0, le=65535)]
    repeat: Annotated[int, Field(ge=-1, le=65535)]


class OtherCommand(_Item):
    """A MAVLink command borderwatch has no typed item for, carried through unchanged (never dropped)."""

    kind: Literal["other"] = "other"
    command: Annotated[int, Field(ge=0, le=65535)]
    frame: Annotated[int, Field(ge=0, le=255)]
    params: tuple[
        float | None, float | None, float | None, float | None, float | None, float | None, float | None
    ]


MissionItem = Annotated[
    Takeoff
    | Waypoint
    | Loiter
    | Orbit
    | CameraTriggerDistance
    | CameraTriggerTime
    | CameraStop
    | GimbalPitch
    | RegionOfInterest
    | ChangeSpeed
    | ReturnToLaunch
    | Land
    | DoJump
    | OtherCommand,
    Field(discriminator="kind"),
]

FlyingItem = Takeoff | Waypoint | Loiter | Orbit
"""Items that put the vehicle at a 3D position (the vertices of the flight path)."""


class VehicleProfile(_Frozen):
    """Performance of the aircraft, enough for the endurance estimate and the fence point budget.

    Either ``endurance_s`` (the maker's hover/cruise time) or ``battery_capacity_wh`` with power draws.
    """

    name: ShortText = "generic multicopter"
    cruise_speed_m_s: Positive = 10.0
    max_speed_m_s: Positive = 15.0
    climb_rate_m_s: Positive = 3.0
    descent_rate_m_s: Positive = 2.0
    endurance_s: Positive | None = 1500.0
    battery_capacity_wh: Positive | None = None
    cruise_power_w: Positive = 250.0
    hover_power_w: Positive = 280.0
    climb_power_w: Positive = 400.0
    max_wind_m_s: NonNegative = 10.0
    max_fence_points: Annotated[int, Field(ge=4, le=10_000)] = 64

    @model_validator(mode="after")
    def _has_energy_model(self) -> VehicleProfile:
        if self.endurance_s is None and self.battery_capacity_wh is None:
            raise ValueError("give endurance_s or battery_capacity_wh")
        return self


class HomePosition(_Frozen):
    lon: Longitude
    lat: Latitude
    alt_amsl_m: AltitudeM | None = None
    """None: taken from the terrain under home when needed."""


class GroundPoint(_Frozen):
    lon: Longitude
    lat: Latitude


class FencePolygon(_Frozen):
    """A fence polygon, vertices lon/lat without the closing repeat."""

    vertices: tuple[tuple[Longitude, Latitude], ...] = Field(min_length=3, max_length=MAX_ITEMS)
    inclusion: bool


class FenceCircle(_Frozen):
    lon: Longitude
    lat: Latitude
    radius_m: Positive
    inclusion: bool


class Geofence(_Frozen):
    """What the vehicle enforces onboard: stay inside every inclusion, outside every exclusion."""

    polygons: tuple[FencePolygon, ...] = Field(default=(), max_length=MAX_ITEMS)
    circles: tuple[FenceCircle, ...] = Field(default=(), max_length=MAX_ITEMS)
    not_represented: tuple[str, ...] = ()
    """Zone ids that the point budget could not fit: said out loud, never silently dropped."""

    @property
    def point_count(self) -> int:
        return sum(len(p.vertices) for p in self.polygons) + len(self.circles)

    @property
    def inclusion_polygons(self) -> tuple[FencePolygon, ...]:
        return tuple(p for p in self.polygons if p.inclusion)

    @property
    def exclusion_polygons(self) -> tuple[FencePolygon, ...]:
        return tuple(p for p in self.polygons if not p.inclusion)

    @property
    def exclusion_circles(self) -> tuple[FenceCircle, ...]:
        return tuple(c for c in self.circles if not c.inclusion)


class RallyPoint(_Frozen):
    lon: Longitude
    lat: Latitude
    alt_m: AltitudeM
    alt_frame: AltFrame = AltFrame.REL_HOME


class QgcPlanInfo(_Frozen):
    """Plan-level QGC fields as read, so export writes back what QGC wrote (None: the key was absent)."""

    firmware_type: int | None = None
    vehicle_type: int | None = None
    cruise_speed: float | None = None
    hover_speed: float | None = None
    global_plan_altitude_mode: int | None = None
    ground_station: str | None = None
    complex_items: tuple[dict[str, Any], ...] = ()
    """QGC complex items (survey, corridor scan) exactly as read; their generated items are in ``items``."""
    fence_breach_return: tuple[float | None, ...] | None = None
    """GeoFenceController's ``breachReturn`` [lat, lon, alt] (ArduPilot's fence return point), as read."""


class Mission(_Frozen):
    """A flight plan plus everything the checks need to decide whether it may fly."""

    name: ShortText = ""
    items: tuple[MissionItem, ...] = Field(max_length=MAX_ITEMS)
    vehicle: VehicleProfile = VehicleProfile()
    home: HomePosition
    pilot: GroundPoint | None = None
    """Where the remote pilot stands (VLOS check); None means at home."""
    planned_start: AwareDatetime | None = None
    category: OperationCategory = OperationCategory.OPEN
    approved_ceiling_agl_m: Positive | None = None
    """Specific category only: the ceiling the operational authorisation approved."""
    zone_authorisations: tuple[ShortText, ...] = Field(default=(), max_length=MAX_ITEMS)
    """Zone uids or identifiers this flight holds an authorisation for."""
    cross_border_authorisation: ShortText | None = None
    """Reference of the authorisation to cross the CZ-PL border (issued by the incident feature)."""
    expected_wind_m_s: NonNegative = 0.0
    geofence: Geofence = Geofence()
    rally_points: tuple[RallyPoint, ...] = Field(default=(), max_length=MAX_ITEMS)
    qgc: QgcPlanInfo | None = None
    """QGC plan fields when the mission came from a .plan (written back on export)."""

    @property
    def pilot_position(self) -> GroundPoint:
        return self.pilot or GroundPoint(lon=self.home.lon, lat=self.home.lat)

    def with_items(self, items: tuple[MissionItem, ...] | list[MissionItem]) -> Mission:
        return self.model_copy(update={"items": tuple(items)})

    def without_qgc(self) -> Mission:
        """The same flight without the QGC bookkeeping (doJumpIds, modes as read, complex items): what
        to compare when asking "is this the same mission", not "the same file"."""
        items = tuple(item.model_copy(update={"qgc": None}) for item in self.items)
        return self.model_copy(update={"items": items, "qgc": None})


def utc_start(mission: Mission, at: datetime | None) -> datetime | None:
    """The time the checks evaluate applicability at: explicit ``at`` wins over the planned start."""
    return at if at is not None else mission.planned_start


PositionedItem = Takeoff | Waypoint | Loiter | Orbit | Land | RegionOfInterest
"""Items that carry a lon/lat."""
AltitudeItem = Takeoff | Waypoint | Loiter | Orbit | RegionOfInterest
"""Items that carry an altitude with its frame."""


def position_of(item: MissionItem) -> tuple[float, float] | None:
    """(lon, lat) of an item that has a position, else None."""
    if isinstance(item, PositionedItem):
        return float(item.lon), float(item.lat)
    return None
