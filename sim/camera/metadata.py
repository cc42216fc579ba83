"""The simulator's ground truth per frame (test-only channel: SEI with its own UUID for RTP, a part
header for MJPEG). The station ignores it; what it reads is the MISB ST 0601 KLV (``sim.camera.klv``).

The same model is written by the simulator and read back by consumers, so the ground station and the
tests parse one schema with one set of clear errors. Wire-format side: this module, sei, klv, rtp_h264,
sdp, mjpeg and codec import nothing of the renderer (only sim.scene's GroundObjectKind enum).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from sim.scene import GroundObjectKind

METADATA_SCHEMA_VERSION = 1
MAX_METADATA_BYTES = 256 * 1024


class MetadataError(ValueError):
    """Frame metadata that cannot be read: says which field and why."""


class GroundTruthBox(BaseModel):
    """A visible person or car: pixel box (x0, y0 inclusive; x1, y1 exclusive), clipped to the frame."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    object_id: str
    kind: GroundObjectKind
    x0: int
    y0: int
    x1: int
    y1: int
    distance_m: float


class CameraPoseMeta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lon: float
    lat: float
    alt_amsl_m: float
    heading_deg: float
    pitch_deg: float
    roll_deg: float
    hfov_deg: float
    vfov_deg: float


class FrameMetadata(BaseModel):
    """What was in front of the camera when this frame was taken, and where the camera was."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = METADATA_SCHEMA_VERSION
    camera_id: str
    seq: int = Field(ge=0)
    capture_time_utc: AwareDatetime
    sim_time_s: float
    vehicle_time_utc: AwareDatetime | None = None  # the drone's own clock (scaled in fast-time runs)
    width: int
    height: int
    pose: CameraPoseMeta
    ground_elevation_amsl_m: float
    terrain_known: bool
    objects: list[GroundTruthBox]

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json().encode("ascii")

    @classmethod
    def from_json_bytes(cls, data: bytes) -> FrameMetadata:
        if len(data) > MAX_METADATA_BYTES:
            raise MetadataError(
                f"frame metadata of {len(data)} bytes exceeds the {MAX_METADATA_BYTES}-byte limit"
            )
        try:
            return cls.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "<root>"
            raise MetadataError(f"frame metadata invalid at {where}: {first['msg']}") from None


def capture_time_header(when: datetime) -> str:
    """ISO 8601 UTC with microseconds, as sent in X-Capture-Time."""
    return when.isoformat(timespec="microseconds")
