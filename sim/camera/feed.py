"""One camera bound to the simulated world: where it is now, and a rendered frame with its metadata.

``snapshot`` reads the scene (cheap; call it on the event-loop thread that owns the scene) and
``render`` does the heavy work (safe in a worker thread: it touches only this feed's renderer).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from sim.camera.burnin import burn_clock
from sim.camera.geometry import ViewPose
from sim.camera.metadata import CameraPoseMeta, FrameMetadata
from sim.camera.render import CameraRenderer
from sim.camera.spec import CameraKind, CameraSpec, FixedMount
from sim.camera.sprites import SPRITE_DIR, SpriteBank
from sim.scene import GroundObject, SceneSource, VehiclePose

log = logging.getLogger(__name__)


class CameraConfigError(ValueError):
    """A camera that cannot be placed in the world (e.g. a pole outside the terrain model)."""


@dataclass(frozen=True)
class FeedSnapshot:
    pose: ViewPose
    objects: Sequence[GroundObject]
    sim_time_s: float
    capture_time_utc: datetime
    vehicle_time_utc: datetime | None = None
    vehicle: VehiclePose | None = None  # the platform, for the KLV's platform attitude and gimbal angles


@dataclass(frozen=True)
class CapturedFrame:
    image: NDArray[np.uint8]  # BGR
    metadata: FrameMetadata
    vehicle: VehiclePose | None = None


def drone_camera_pose(vehicle: VehiclePose, spec: CameraSpec) -> ViewPose:
    """Gimbal stabilised in roll and pitch; its yaw is relative to the vehicle's heading."""
    return ViewPose(
        lon=vehicle.lon,
        lat=vehicle.lat,
        alt_amsl_m=vehicle.alt_amsl_m,
        heading_deg=(vehicle.yaw_deg + vehicle.gimbal_yaw_deg) % 360.0,
        pitch_deg=max(-90.0, min(90.0, vehicle.gimbal_pitch_deg)),
        roll_deg=0.0,
        hfov_deg=spec.hfov_deg,
        vfov_deg=spec.vfov_deg,
    )


def fixed_camera_pose(mount: FixedMount, ground_elevation_amsl_m: float, spec: CameraSpec) -> ViewPose:
    return ViewPose(
        lon=mount.lon,
        lat=mount.lat,
        alt_amsl_m=ground_elevation_amsl_m + mount.mount_height_agl_m,
        heading_deg=mount.heading_deg % 360.0,
        pitch_deg=-mount.tilt_deg,
        roll_deg=0.0,
        hfov_deg=spec.hfov_deg,
        vfov_deg=spec.vfov_deg,
    )


def sprites_for(spec: CameraSpec) -> SpriteBank | None:
    """The sprite bank when the spec asks for sprites and setup cut them (else shapes, said once)."""
    if spec.objects != "sprites":
        return None
    bank = SpriteBank.load()
    if not bank:
        log.warning("camera %s: no sprites in %s (scripts/setup.sh); drawing shapes", spec.id, SPRITE_DIR)
        return None
    return bank


class CameraFeed:
    def __init__(self, spec: CameraSpec, scene: SceneSource) -> None:
        self.spec = spec
        self.scene = scene
        self.renderer = CameraRenderer(
            scene.terrain,
            spec.width,
            spec.height,
            seed=spec.seed,
            max_range_m=spec.max_range_m,
            sprites=sprites_for(spec),
        )
        self._seq = 0
        self._fixed_pose: ViewPose | None = None
        self._static_prepared = False
        if spec.kind is CameraKind.FIXED:
            assert spec.mount is not None  # guaranteed by CameraSpec validation
            elevation = float(
                scene.terrain.sample(np.array([spec.mount.lon]), np.array([spec.mount.lat])).elevation_amsl_m[
                    0
                ]
            )
            if math.isnan(elevation):
                raise CameraConfigError(
                    f"camera {spec.id}: terrain '{scene.terrain.name}' has no elevation at its mount "
                    f"(lon {spec.mount.lon}, lat {spec.mount.lat})"
                )
            self._fixed_pose = fixed_camera_pose(spec.mount, elevation, spec)

    @property
    def fixed_pose(self) -> ViewPose | None:
        return self._fixed_pose

    def snapshot(self) -> FeedSnapshot:
        """The camera pose and the objects now; KeyError if the camera's vehicle is unknown to the scene."""
        vehicle_time: datetime | None = None
        vehicle: VehiclePose | None = None
        if self._fixed_pose is not None:
            pose = self._fixed_pose
        else:
            assert self.spec.vehicle_slug is not None
            vehicle = self.scene.vehicle_pose(self.spec.vehicle_slug)
            pose = drone_camera_pose(vehicle, self.spec)
            vehicle_time = vehicle.time_utc
        return FeedSnapshot(
            pose=pose,
            objects=tuple(self.scene.ground_objects()),
            sim_time_s=float(self.scene.sim_time_s),
            capture_time_utc=datetime.now(UTC),
            vehicle_time_utc=vehicle_time,
            vehicle=vehicle,
        )

    def render(self, snap: FeedSnapshot) -> CapturedFrame:
        if self._fixed_pose is not None and not self._static_prepared:
            self._static_prepared = True
            self.renderer.prepare_static_view(self._fixed_pose)
        frame = self.renderer.render(snap.pose, snap.objects)
        if self.spec.burn_in_clock:
            burn_clock(frame.image, round(snap.capture_time_utc.timestamp() * 1000))
        meta = FrameMetadata(
            camera_id=self.spec.id,
            seq=self._seq,
            capture_time_utc=snap.capture_time_utc,
            sim_time_s=round(snap.sim_time_s, 4),
            vehicle_time_utc=snap.vehicle_time_utc,
            width=self.spec.width,
            height=self.spec.height,
            pose=CameraPoseMeta(**snap.pose.as_dict()),
            ground_elevation_amsl_m=round(frame.ground_elevation_amsl_m, 2),
            terrain_known=frame.terrain_known,
            objects=frame.truth,
        )
        self._seq += 1
        return CapturedFrame(image=frame.image, metadata=meta, vehicle=snap.vehicle)
