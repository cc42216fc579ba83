"""Altitude over real terrain: the vehicle stands on the DEM, AGL is DEM-based, and flying into a ridge is
a crash that is reported (STATUSTEXT, disarm, EMERGENCY), not ignored. The DEM is an analytic GeoTIFF."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pymavlink.dialects.v20 import common as mavlink

from geodata.terrain import DemTerrain, write_dem_geotiff
from sim.px4_modes import FlightMode
from tests.sim.helpers import (
    HOME_LAT,
    HOME_LON,
    RawGcs,
    one_vehicle_scenario,
    running_world,
    texts,
    wait_until,
)

pytestmark = [pytest.mark.sim_only, pytest.mark.timeout(60)]

PIXEL_DEG = 0.0001
RIDGE_START_N = 200.0
RIDGE_TOP_N = 260.0
RIDGE_HEIGHT_M = 80.0
GROUND_M = 400.0


def ridge_dem(path: Path) -> DemTerrain:
    """Flat ground at 400 m, a ridge rising 80 m between 200 m and 260 m north of home."""
    rows, cols = 400, 400
    west = HOME_LON - cols / 2 * PIXEL_DEG
    north = HOME_LAT + rows / 2 * PIXEL_DEG
    lats = north - (np.arange(rows) + 0.5) * PIXEL_DEG
    north_m = (lats - HOME_LAT) * 111_225.0
    profile = (
        GROUND_M
        + np.clip((north_m - RIDGE_START_N) / (RIDGE_TOP_N - RIDGE_START_N), 0.0, 1.0) * RIDGE_HEIGHT_M
    )
    grid = np.repeat(profile[:, None], cols, axis=1).astype(np.float32)
    write_dem_geotiff(path, grid, (PIXEL_DEG, 0.0, west, 0.0, -PIXEL_DEG, north), vertical_accuracy_m=1.0)
    return DemTerrain.open(path)


async def test_vehicle_stands_on_dem_and_crashes_into_a_ridge(tmp_path: Path) -> None:
    terrain = ridge_dem(tmp_path / "ridge.tif")
    gcs = RawGcs()
    # The scenario claims 430 m at home; the DEM says 400 m, and the DEM wins.
    async with running_world(
        one_vehicle_scenario({"MIS_TAKEOFF_ALT": 20.0}), gcs.port, speed=10.0, terrain=terrain
    ) as world:
        vehicle = world.vehicles["sim-1"]
        assert await wait_until(lambda: vehicle.home is not None and vehicle.preflight_ok(), 5, gcs)
        assert vehicle.home is not None and vehicle.home.alt_amsl_m == pytest.approx(GROUND_M, abs=0.5)
        assert vehicle.flight.body.alt_amsl_m == pytest.approx(GROUND_M, abs=0.5)
        gcs.command_long(mavlink.MAV_CMD_NAV_TAKEOFF, *([math.nan] * 7))
        gcs.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
        assert await wait_until(
            lambda: vehicle.flight.mode == FlightMode.LOITER and vehicle.flight.airborne, 10, gcs
        )
        altitude = await gcs.wait_for(lambda m: m.get_type() == "ALTITUDE", 1)
        assert altitude is not None and altitude.bottom_clearance == pytest.approx(20.0, abs=1.0)

        # Reposition 500 m north at 30 m above home: straight into the 80 m ridge.
        lat = int((HOME_LAT + 500 / 111_225.0) * 1e7)
        reposition = gcs.mav.command_int_encode(
            1, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mavlink.MAV_CMD_DO_REPOSITION,
            0, 0, math.nan, 1, math.nan, math.nan, lat, int(HOME_LON * 1e7), 30.0,
        )  # fmt: skip
        gcs.send(reposition)
        assert await wait_until(lambda: vehicle.flight.crashed, 20, gcs)
        await gcs.collect(0.5)
        assert any(t.startswith("Crash detected: hit terrain") for t in texts(gcs))
        assert not vehicle.flight.armed
        assert RIDGE_START_N < vehicle.flight.body.north_m < RIDGE_TOP_N
        ground = vehicle.flight.ground_amsl_at(vehicle.flight.body.east_m, vehicle.flight.body.north_m)
        assert vehicle.flight.body.alt_amsl_m == pytest.approx(ground, abs=0.5)
        hb = await gcs.wait_for(lambda m: m.get_type() == "HEARTBEAT", 2)
        assert hb is not None and hb.system_status == mavlink.MAV_STATE_EMERGENCY
        start = gcs.received[-1][0]
        gcs.command_long(mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1)
        ack = await gcs.wait_for(lambda m: m.get_type() == "COMMAND_ACK", 1, start)
        assert ack is not None and ack.result == mavlink.MAV_RESULT_TEMPORARILY_REJECTED
