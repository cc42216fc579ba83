"""Analytic worlds with known answers for the mission tests: GeoTIFF terrains (a ridge, a slope) written
with ``tests.synthetic_dem``, zones and a border built directly from the geodata model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from shapely.geometry import Polygon, box

from geodata.border import Border
from geodata.coverage import DataCoverage
from geodata.terrain import DemTerrain
from geodata.vertical import VerticalRef
from geodata.zones.index import ZoneIndex
from geodata.zones.model import (
    PERMANENT,
    AltitudeLimit,
    Applicability,
    Authority,
    Circle,
    Restriction,
    TimeWindow,
    Zone,
    ZoneVolume,
)
from missions.model import AltFrame, HomePosition, Mission, MissionItem, ReturnToLaunch, Takeoff, Waypoint
from missions.region import AdHocRegion
from tests.synthetic_dem import write_lonlat_dem

# The analytic world: lon 17.0-17.5, lat 50.0-50.5, 0.0005 degree pixels.
WEST, NORTH, PIXEL = 17.0, 50.5, 0.0005
SIZE = 1000
BASE_M = 300.0
RIDGE_LON = 17.25
RIDGE_HEIGHT_M = 400.0
RIDGE_HALF_WIDTH_DEG = 0.01
SLOPE_M_PER_DEG_LAT = 2000.0  # 2 m per ~111 m of northing
BORDER_LAT = 50.3  # CZ south of it, PL north of it


def ridge_elevation(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Flat 300 m with a 400 m triangular ridge along lon 17.25 (peak 700 m)."""
    del lat
    return BASE_M + RIDGE_HEIGHT_M * np.clip(1.0 - np.abs(lon - RIDGE_LON) / RIDGE_HALF_WIDTH_DEG, 0.0, None)


def slope_elevation(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """A plane rising northwards: 200 m at lat 50.0, 1200 m at lat 50.5."""
    del lon
    return 200.0 + SLOPE_M_PER_DEG_LAT * (lat - 50.0)


def write_dem(
    path: Path,
    function: Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]],
    accuracy_m: float,
) -> Path:
    return write_lonlat_dem(
        path,
        function,
        west=WEST,
        north=NORTH,
        step=PIXEL,
        cols=SIZE,
        rows=SIZE,
        accuracy_m=accuracy_m,
        nodata=-9999.0,
    )


@pytest.fixture(scope="session")
def ridge_dem_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dem(tmp_path_factory.mktemp("dem") / "ridge.tif", ridge_elevation, 1.0)


@pytest.fixture(scope="session")
def ridge_terrain(ridge_dem_path: Path) -> DemTerrain:
    return DemTerrain.open(ridge_dem_path)


@pytest.fixture(scope="session")
def coarse_ridge_terrain(tmp_path_factory: pytest.TempPathFactory) -> DemTerrain:
    path = write_dem(tmp_path_factory.mktemp("dem") / "ridge_coarse.tif", ridge_elevation, 30.0)
    return DemTerrain.open(path)


@pytest.fixture(scope="session")
def slope_terrain(tmp_path_factory: pytest.TempPathFactory) -> DemTerrain:
    return DemTerrain.open(write_dem(tmp_path_factory.mktemp("dem") / "slope.tif", slope_elevation, 2.0))


def make_zone(
    identifier: str,
    restriction: Restriction,
    footprint: Polygon,
    *,
    lower: tuple[float, VerticalRef] = (0.0, VerticalRef.AGL),
    upper: tuple[float, VerticalRef] = (120.0, VerticalRef.AGL),
    applicability: Applicability = PERMANENT,
    circle: Circle | None = None,
    message: str = "",
) -> Zone:
    volume = ZoneVolume(
        footprint=footprint,
        lower=AltitudeLimit(lower[0], lower[1], f"{lower[0]:g} m {lower[1].value}"),
        upper=AltitudeLimit(upper[0], upper[1], f"{upper[0]:g} m {upper[1].value}"),
        circle=circle,
    )
    return Zone(
        identifier=identifier,
        country="CZE",
        name=f"Zone {identifier}",
        restriction=restriction,
        reasons=("OTHER",),
        volumes=(volume,),
        applicability=applicability,
        authority=Authority(name="Test authority", phone="+420 000 000 000", email="zones@example.invalid"),
        message=message,
        uid=f"{identifier}@test",
    )


def window(start: datetime, end: datetime) -> Applicability:
    return Applicability(windows=(TimeWindow(start=start, end=end),))


def split_border() -> Border:
    return Border(
        {
            "CZE": box(16.9, 49.9, 17.6, BORDER_LAT),
            "POL": box(16.9, BORDER_LAT, 17.6, 50.6),
        }
    )


WORLD = box(16.9, 49.9, 17.6, 50.6)
"""Where the analytic world's zones and border are complete (the test world declares its coverage)."""
WORLD_COVERAGE = DataCoverage(zones=WORLD, border=WORLD, zone_sources=("analytic test world",))


def region_with(
    terrain: object,
    zones: Sequence[Zone] = (),
    border: Border | None = None,
    coverage: DataCoverage | None = WORLD_COVERAGE,
) -> AdHocRegion:
    return AdHocRegion(
        zones=ZoneIndex(list(zones)),
        border=border,
        terrain=terrain,  # type: ignore[arg-type]
        coverage=coverage,
    )


HOME = HomePosition(lon=17.10, lat=50.20)


def route(
    points: Sequence[tuple[float, float]],
    alt_m: float,
    frame: AltFrame,
    *,
    home: HomePosition = HOME,
    takeoff_rel_m: float = 50.0,
    **mission_fields: object,
) -> Mission:
    """Take-off at home, waypoints at one altitude, return to launch."""
    items: list[MissionItem] = [
        Takeoff(lon=home.lon, lat=home.lat, alt_m=takeoff_rel_m, alt_frame=AltFrame.REL_HOME),
        *(Waypoint(lon=lon, lat=lat, alt_m=alt_m, alt_frame=frame) for lon, lat in points),
        ReturnToLaunch(),
    ]
    return Mission(items=tuple(items), home=home, **mission_fields)  # type: ignore[arg-type]


def metres_east(lon: float, lat: float, metres: float) -> float:
    """Longitude ``metres`` east of ``lon`` (spherical approximation, fine for placing test points)."""
    return lon + metres / (111_320.0 * math.cos(math.radians(lat)))
