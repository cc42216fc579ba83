"""What a simulated camera is (configuration) and where its stream can be found (endpoint).

These are the boundary types between the scenario file / simulator runner and the camera simulator,
and the camera part of the ready-json (design contract 6).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from geodata.sensors import FixedCamera

# Design contract 6: drone video RTP/UDP 5600+i, pole cameras MJPEG over HTTP 8081+i.
DRONE_VIDEO_BASE_PORT = 5600
POLE_CAMERA_BASE_PORT = 8081


class CameraKind(StrEnum):
    """A gimbal camera on a simulated drone, or a fixed pole camera."""

    DRONE = "drone"
    FIXED = "fixed"


class StreamDemand(StrEnum):
    """When a stream renders.

    ON_DEMAND renders only while a consumer is attached (an HTTP client for MJPEG, keepalive datagrams
    for RTP), so a demo with many cameras fits on two cores. ALWAYS is for players that cannot send
    keepalives (VLC, QGroundControl) and costs one core per stream at 1280x720/30 fps.
    """

    ON_DEMAND = "on_demand"
    ALWAYS = "always"


class FixedMount(BaseModel):
    """Pose of a pole camera: where it stands and where it looks.

    Same conventions as geodata.sensors.FixedCamera: heading 0 = north, clockwise; tilt in degrees
    down from the horizontal (10 looks slightly down, 90 straight down).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    lon: float = Field(ge=-180.0, le=180.0)
    lat: float = Field(ge=-90.0, le=90.0)
    mount_height_agl_m: float = Field(gt=0.0, le=500.0)
    heading_deg: float
    tilt_deg: float = Field(ge=-30.0, le=90.0)


class CameraSpec(BaseModel):
    """One simulated camera.

    A DRONE camera follows ``vehicle_slug``'s pose and gimbal; a FIXED camera has a ``mount``.
    ``port`` 0 picks a free ephemeral port (tests); ``None`` uses the design's default port for its index.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    kind: CameraKind
    vehicle_slug: str | None = None
    mount: FixedMount | None = None
    hfov_deg: float = Field(default=70.0, gt=1.0, lt=170.0)
    vfov_deg: float = Field(default=43.0, gt=1.0, lt=170.0)
    width: int = Field(default=1280, ge=16, le=3840)
    height: int = Field(default=720, ge=16, le=2160)
    fps: float = Field(default=30.0, gt=0.0, le=60.0)
    port: int | None = Field(default=None, ge=0, le=65535)
    max_range_m: float = Field(default=4000.0, gt=10.0, le=50_000.0)
    demand: StreamDemand = StreamDemand.ON_DEMAND
    transport: Literal["mjpeg", "rtsp"] = "mjpeg"
    """How a fixed camera serves: MJPEG over HTTP, or H.264 over RTSP (``sim.camera.rtsp_server``)."""
    objects: Literal["shapes", "sprites"] = "shapes"
    """How people and cars are drawn: geometric shapes, or real-picture sprites (``sim.camera.sprites``,
    cut by scripts/setup.sh; shapes when none were cut) that a real detector can find."""
    burn_in_clock: bool = False
    """Draw the capture time into the picture (``sim.camera.burnin``) for glass-to-glass benchmarks."""
    seed: int = Field(
        default=0,
        description="seed of the world's ground texture: give every camera of a scenario the same one, "
        "so that a pole camera and a drone over the same field see the same field",
    )

    @model_validator(mode="after")
    def _pose_source_matches_kind(self) -> CameraSpec:
        if self.width % 2 or self.height % 2:
            raise ValueError(f"camera {self.id}: width and height must be even for H.264 4:2:0")
        if self.kind is CameraKind.DRONE:
            if not self.vehicle_slug or self.mount is not None:
                raise ValueError(f"camera {self.id}: a drone camera needs vehicle_slug and no mount")
        elif self.mount is None or self.vehicle_slug is not None:
            raise ValueError(f"camera {self.id}: a fixed camera needs a mount and no vehicle_slug")
        return self

    @classmethod
    def for_fixed_camera(
        cls, camera: FixedCamera, *, port: int | None = None, fps: float = 30.0
    ) -> CameraSpec:
        """A pole camera from the region dataset (geodata cameras.geojson), same pose and optics."""
        return cls(
            id=camera.id,
            kind=CameraKind.FIXED,
            mount=FixedMount(
                lon=camera.lon,
                lat=camera.lat,
                mount_height_agl_m=camera.mount_height_agl_m,
                heading_deg=camera.heading_deg,
                tilt_deg=camera.tilt_deg,
            ),
            hfov_deg=camera.hfov_deg,
            vfov_deg=camera.vfov_deg,
            width=camera.width_px - camera.width_px % 2,
            height=camera.height_px - camera.height_px % 2,
            max_range_m=camera.max_range_m,
            fps=fps,
            port=port,
        )

    def default_port(self, index: int) -> int:
        base = DRONE_VIDEO_BASE_PORT if self.kind is CameraKind.DRONE else POLE_CAMERA_BASE_PORT
        return base + index


class CameraEndpoint(BaseModel):
    """Where a running camera stream is, for the ready-json and the ground station."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: CameraKind
    vehicle_slug: str | None
    stream_url: str
    sdp_path: str | None
    keepalive_url: str | None
    pose: dict[str, Any]
