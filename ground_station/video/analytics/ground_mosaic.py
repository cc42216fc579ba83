"""A privacy floor for drone video: the whole anonymised picture is a mosaic of cells at least
``GROUND_CELL_M`` wide on the ground, so a person or plate the detector missed is still unidentifiable.

Why: from altitude people are a few dozen pixels tall and the person/vehicle network misses many of
them (measured on the simulated drone scenes: half of the people, see ``analytics/SOURCES.md``); a missed
person would reach a partner in clear. A mosaic whose cells are half a metre on the ground leaves the
scene readable (roads, buildings, vehicles, groups of people as blobs) while a face (~0.2 m) or a plate
(0.52 x 0.11 m) falls inside one cell. The detected boxes are then pixelated coarser still.

The cell size comes from the frame's own ST 0601 metadata: the slant range to the frame centre (sensor
position and altitude, frame centre position and elevation), the depression angle there, the fields of
view. The nearest ground is at the bottom edge of the picture, where the depression is largest: its
ground sample distance sets the cell, so every part of the frame is at least as coarse on the ground.
Without the metadata this needs, the caller falls back to the fail-closed whole-frame pixelation.
"""

from __future__ import annotations

import math

from geodata.crs import distance_m
from ground_station.video.klv import UasDatalinkSample

GROUND_CELL_M = 0.5
MIN_RANGE_M = 1.0


def nearest_ground_sample_m(sample: UasDatalinkSample, width_px: int) -> float | None:
    """Metres on the ground per pixel at the nearest ground the picture shows (its bottom edge);
    None when the metadata lacks what it needs or the camera does not look down at the ground."""
    needed = (
        sample.sensor_lat,
        sample.sensor_lon,
        sample.sensor_alt_amsl_m,
        sample.frame_center_lat,
        sample.frame_center_lon,
        sample.frame_center_elev_amsl_m,
        sample.hfov_deg,
        sample.vfov_deg,
    )
    if any(v is None for v in needed) or width_px <= 0:
        return None
    assert sample.sensor_alt_amsl_m is not None and sample.frame_center_elev_amsl_m is not None
    assert sample.hfov_deg is not None and sample.vfov_deg is not None
    height_m = sample.sensor_alt_amsl_m - sample.frame_center_elev_amsl_m
    if height_m <= 0 or not 0 < sample.hfov_deg < 180 or not 0 < sample.vfov_deg < 180:
        return None
    ground_m = float(
        distance_m(sample.sensor_lon, sample.sensor_lat, sample.frame_center_lon, sample.frame_center_lat)  # type: ignore[arg-type]
    )
    depression = math.atan2(height_m, ground_m)
    bottom = min(math.pi / 2, depression + math.radians(sample.vfov_deg) / 2)
    nearest_range_m = max(MIN_RANGE_M, height_m / math.sin(bottom))
    return 2 * nearest_range_m * math.tan(math.radians(sample.hfov_deg) / 2) / width_px


def ground_cell_px(sample: UasDatalinkSample | None, width_px: int) -> int | None:
    """The mosaic cell in pixels that is at least ``GROUND_CELL_M`` on the ground everywhere in the
    picture; None when the frame's metadata cannot say (the caller then pixelates the whole frame)."""
    if sample is None:
        return None
    gsd = nearest_ground_sample_m(sample, width_px)
    if gsd is None:
        return None
    return max(2, math.ceil(GROUND_CELL_M / gsd))
