"""A small in-memory world for the camera tests (the real one is the vehicle simulator's scene)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pytest
from numpy.typing import ArrayLike

from geodata.terrain import FlatTerrain, Terrain, TerrainSample
from geodata.terrain.model import as_lonlat_arrays
from sim.scene import GroundObject, VehiclePose

HOME_LON = 17.25
HOME_LAT = 50.30
GROUND_M = 420.0


class SlopeTerrain(Terrain):
    """Analytic terrain rising eastwards at ``grade`` (m per m), known everywhere: exact hillshade answers."""

    def __init__(self, base_m: float, grade: float) -> None:
        self.name = f"slope {grade}"
        self.vertical_accuracy_m = 0.0
        self.base_m = base_m
        self.grade = grade

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        lons, _lats = as_lonlat_arrays(lon, lat)
        east_m = (lons - HOME_LON) * 111_320.0 * np.cos(np.radians(HOME_LAT))
        return TerrainSample(self.base_m + self.grade * east_m, np.zeros(lons.shape))


@dataclass
class StaticScene:
    """Implements sim.scene.SceneSource with fixed objects and poses set by the test."""

    terrain: Terrain
    objects: list[GroundObject] = field(default_factory=list)
    poses: dict[str, VehiclePose] = field(default_factory=dict)
    sim_time_s: float = 12.5

    def ground_objects(self) -> Sequence[GroundObject]:
        return self.objects

    def vehicle_pose(self, slug: str) -> VehiclePose:
        return self.poses[slug]


def hover_pose(
    alt_agl_m: float = 120.0, *, gimbal_pitch_deg: float = -90.0, yaw_deg: float = 0.0
) -> VehiclePose:
    return VehiclePose(
        lon=HOME_LON,
        lat=HOME_LAT,
        alt_amsl_m=GROUND_M + alt_agl_m,
        roll_deg=2.0,
        pitch_deg=-3.0,
        yaw_deg=yaw_deg,
        gimbal_pitch_deg=gimbal_pitch_deg,
        gimbal_yaw_deg=0.0,
        time_utc=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="session")
def flat_terrain() -> FlatTerrain:
    return FlatTerrain(GROUND_M)


class RidgeTerrain(Terrain):
    """Flat ground and an east-west ridge ``height_m`` high, its crest ``crest_south_m`` south of home."""

    def __init__(self, base_m: float, height_m: float, crest_south_m: float, width_m: float = 40.0) -> None:
        self.name = "ridge"
        self.vertical_accuracy_m = 0.0
        self.resolution_m = 5.0
        self.base_m, self.height_m, self.crest_south_m, self.width_m = (
            base_m,
            height_m,
            crest_south_m,
            width_m,
        )

    def sample(self, lon: ArrayLike, lat: ArrayLike) -> TerrainSample:
        _lons, lats = as_lonlat_arrays(lon, lat)
        south_m = (HOME_LAT - lats) * 111_250.0
        ridge = self.height_m * np.exp(-(((south_m - self.crest_south_m) / self.width_m) ** 2))
        return TerrainSample(self.base_m + ridge, np.zeros(lats.shape))
