"""Pinhole camera maths for the renderer: pose -> rotation, world -> pixel, pixel -> ground plane.

The pose convention and rotation come from geodata.sensors; what is added here is what rendering needs
fast: projection of ENU offsets in bulk (the ground-plane homography is in ground_plane.py).

Frames: local East-North-Up metres around the camera (the camera at (0, 0, alt)); camera axes as
OpenCV's (x right, y down, z forward). Heading 0 = north, clockwise; pitch < 0 looks down; -90 is nadir.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from geodata.sensors import CameraIntrinsics
from geodata.sensors import CameraPose as SensorPose

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ViewPose:
    """Optical pose of a camera in the world: position (AMSL) and where the optical axis points."""

    lon: float
    lat: float
    alt_amsl_m: float
    heading_deg: float
    pitch_deg: float
    roll_deg: float
    hfov_deg: float
    vfov_deg: float

    def as_dict(self) -> dict[str, float]:
        return {
            "lon": self.lon,
            "lat": self.lat,
            "alt_amsl_m": round(self.alt_amsl_m, 3),
            "heading_deg": round(self.heading_deg, 3),
            "pitch_deg": round(self.pitch_deg, 3),
            "roll_deg": round(self.roll_deg, 3),
            "hfov_deg": self.hfov_deg,
            "vfov_deg": self.vfov_deg,
        }


def world_to_camera_rotation(pose: ViewPose) -> FloatArray:
    """Rows are the camera's right, down and forward axes in ENU.

    Taken from geodata.sensors (yaw-pitch-roll, Z-Y-X) through its public ray maths, so the renderer and
    every other projection in borderwatch agree on what a pose means.
    """
    sensor_pose = SensorPose(
        pose.lon, pose.lat, pose.alt_amsl_m, pose.heading_deg, pose.pitch_deg, pose.roll_deg
    )
    unit = CameraIntrinsics(2, 2, 90.0, 90.0)  # fx = fy = 1, principal point (1, 1)
    rays = sensor_pose.rays_enu(unit, [1.0, 2.0, 1.0], [1.0, 1.0, 2.0])
    forward = rays[0]
    right = rays[1] * math.sqrt(2.0) - forward
    down = rays[2] * math.sqrt(2.0) - forward
    return np.vstack([right, down, forward])


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics plus rotation; the camera sits at (0, 0, 0) of its own local ENU frame."""

    width: int
    height: int
    hfov_deg: float
    vfov_deg: float
    rotation: FloatArray  # world (ENU) -> camera

    @classmethod
    def for_pose(cls, pose: ViewPose, width: int, height: int) -> PinholeCamera:
        return cls(width, height, pose.hfov_deg, pose.vfov_deg, world_to_camera_rotation(pose))

    @cached_property
    def fx(self) -> float:
        return (self.width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)

    @cached_property
    def fy(self) -> float:
        return (self.height / 2.0) / math.tan(math.radians(self.vfov_deg) / 2.0)

    @cached_property
    def intrinsics(self) -> FloatArray:
        return np.array(
            [[self.fx, 0.0, self.width / 2.0], [0.0, self.fy, self.height / 2.0], [0.0, 0.0, 1.0]]
        )

    def project(self, enu_points: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(N, 3) ENU offsets from the camera -> (N, 2) pixel coordinates and (N,) depth along the axis.

        Points behind the camera (depth <= 0) get NaN pixels.
        """
        cam = enu_points @ self.rotation.T
        depth = cam[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(depth > 1e-6, 1.0 / depth, np.nan)
        px = np.empty((len(depth), 2))
        px[:, 0] = self.fx * cam[:, 0] * inv + self.width / 2.0
        px[:, 1] = self.fy * cam[:, 1] * inv + self.height / 2.0
        return px, depth
