"""Drone video's privacy floor: the anonymised picture is a mosaic at least half a metre per cell on the
ground everywhere, so a person the detector misses is still not shown in clear; without the metadata
to size it, the whole frame is pixelated; fixed cameras keep their picture outside the boxes."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geodata.crs import destination
from ground_station.video.analytics.detector import Detection
from ground_station.video.analytics.ground_mosaic import (
    GROUND_CELL_M,
    ground_cell_px,
    nearest_ground_sample_m,
)
from ground_station.video.delivery import Variant, VariantPictures
from ground_station.video.ingest import FixedPose, SensorBinding
from ground_station.video.klv import UasDatalinkSample

LAT, LON = 50.3, 17.33


def looking_at(height_m: float, ahead_m: float, hfov: float = 60.0, vfov: float = 34.0) -> UasDatalinkSample:
    """A camera ``height_m`` above flat ground at 400 m, its frame centre ``ahead_m`` to the north."""
    centre_lon, centre_lat = destination(LON, LAT, 0.0, ahead_m)
    return UasDatalinkSample(
        sensor_lat=LAT,
        sensor_lon=LON,
        sensor_alt_amsl_m=400.0 + height_m,
        frame_center_lat=float(centre_lat),
        frame_center_lon=float(centre_lon),
        frame_center_elev_amsl_m=400.0,
        hfov_deg=hfov,
        vfov_deg=vfov,
    )


def test_straight_down_from_40_m_half_a_metre_is_14_pixels_at_1280() -> None:
    gsd = nearest_ground_sample_m(looking_at(40.0, 0.0), 1280)
    assert gsd is not None and math.isclose(gsd, 2 * 40 * math.tan(math.radians(30)) / 1280, rel_tol=1e-6)
    assert ground_cell_px(looking_at(40.0, 0.0), 1280) == 14


def test_without_the_metadata_or_looking_up_there_is_no_floor() -> None:
    assert ground_cell_px(None, 1280) is None
    assert ground_cell_px(UasDatalinkSample(hfov_deg=60, vfov_deg=34), 1280) is None
    assert ground_cell_px(looking_at(-5.0, 100.0), 1280) is None  # the frame centre above the camera


@settings(max_examples=300, deadline=None)
@given(
    height=st.floats(5.0, 500.0),
    ahead=st.floats(0.0, 2000.0),
    hfov=st.floats(2.0, 120.0),
    vfov=st.floats(2.0, 90.0),
    width=st.sampled_from([320, 640, 1280, 1920, 3840]),
    rows=st.sampled_from([240, 480, 720, 1080, 2160]),
)
def test_every_row_that_sees_ground_gets_cells_of_at_least_half_a_metre(
    height: float, ahead: float, hfov: float, vfov: float, width: int, rows: int
) -> None:
    """Checked independently of the implementation: a pinhole camera's ray through each row, its slant
    range to flat ground, and the width a pixel covers there."""
    cell = ground_cell_px(looking_at(height, ahead, hfov, vfov), width)
    assert cell is not None
    centre_depression = math.atan2(height, ahead)
    focal_rows = (rows / 2) / math.tan(math.radians(vfov) / 2)
    focal_cols = (width / 2) / math.tan(math.radians(hfov) / 2)
    for row in np.linspace(0, rows, 25):
        depression = centre_depression + math.atan((row - rows / 2) / focal_rows)
        if depression <= 0:
            continue  # this row sees the sky
        slant = height / math.sin(min(depression, math.pi / 2))
        metres_per_pixel = slant / focal_cols
        assert cell * metres_per_pixel >= GROUND_CELL_M * (1 - 1e-6)


class FindsNothing:
    def detect(self, image: object) -> list[Detection]:
        return []


def pictures(binding: SensorBinding) -> VariantPictures:
    stream = SimpleNamespace(source=SimpleNamespace(binding=binding))
    return VariantPictures(stream, Variant.ANONYMISED, detector_factory=FindsNothing)  # type: ignore[arg-type]


def frame_with(image: np.ndarray, klv: UasDatalinkSample | None) -> SimpleNamespace:
    return SimpleNamespace(image=image, klv=klv)


def coarse_as(image: np.ndarray, cell: int) -> bool:
    """No row or column changes colour more often than cells of ``cell`` pixels allow."""
    h, w = image.shape[:2]
    row_changes = (image[:, 1:] != image[:, :-1]).any(axis=2).sum(axis=1)
    col_changes = (image[1:, :] != image[:-1, :]).any(axis=2).sum(axis=0)
    return bool(row_changes.max() <= math.ceil(w / cell) and col_changes.max() <= math.ceil(h / cell))


def test_a_person_the_detector_missed_is_inside_the_drone_pictures_mosaic() -> None:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)  # detail in every pixel
    klv = looking_at(40.0, 0.0)
    cell = ground_cell_px(klv, 640)
    assert cell is not None and cell >= 7
    out = pictures(SensorBinding("sim-1-gimbal", vehicle_id="sim-1")).picture(frame_with(image, klv))  # type: ignore[arg-type]
    assert coarse_as(out, cell)
    assert not (out == image).all(axis=2).any()  # no original pixel survives


def test_drone_video_without_metadata_is_pixelated_whole() -> None:
    image = np.random.default_rng(8).integers(0, 256, (360, 640, 3), dtype=np.uint8)
    out = pictures(SensorBinding("sim-1-gimbal", vehicle_id="sim-1")).picture(frame_with(image, None))  # type: ignore[arg-type]
    assert coarse_as(out, 360 // 22)  # 22 cells across its smaller side


def test_a_fixed_camera_keeps_its_picture_where_nobody_was_detected() -> None:
    image = np.random.default_rng(9).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    fixed = FixedPose(LON, LAT, 410.0, 40.0, -12.0, 60.0, 34.0)
    out = pictures(SensorBinding("pole-1", fixed=fixed)).picture(frame_with(image, looking_at(8.0, 30.0)))  # type: ignore[arg-type]
    assert (out == image).all()


def test_on_the_simulated_drone_scene_every_true_person_is_mosaicked_even_with_no_detection() -> None:
    """The simulator's drone camera (40 m up, 40 degrees down, 1280x720) with its ground truth: a
    detector that finds nobody, and still no true person or car is shown finer than the floor's cells."""
    from tests.ground_station import drone_scene as scene

    ahead = 40.0 / math.tan(math.radians(40.0))
    centre_lon, centre_lat = destination(scene.HOME_LON, scene.HOME_LAT, 0.0, ahead)
    klv = UasDatalinkSample(
        sensor_lat=scene.HOME_LAT,
        sensor_lon=scene.HOME_LON,
        sensor_alt_amsl_m=scene.GROUND_M + 40.0,
        frame_center_lat=float(centre_lat),
        frame_center_lon=float(centre_lon),
        frame_center_elev_amsl_m=scene.GROUND_M,
        hfov_deg=scene.HFOV,
        vfov_deg=scene.VFOV,
    )
    cell = ground_cell_px(klv, scene.W)
    assert cell is not None
    drone = pictures(SensorBinding("sim-1-gimbal", vehicle_id="sim-1"))
    checked = 0
    for frame in scene.frames(10, step=5):
        out = drone.picture(frame_with(np.asarray(frame.image), klv))  # type: ignore[arg-type]
        for truth in frame.truth:
            x0, y0 = max(0, int(truth.x0)), max(0, int(truth.y0))
            x1, y1 = min(scene.W, math.ceil(truth.x1)), min(scene.H, math.ceil(truth.y1))
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            assert coarse_as(out[y0:y1, x0:x1], cell), (frame.index, truth)
            checked += 1
    assert checked >= 80  # 9 objects in view on 10 frames
