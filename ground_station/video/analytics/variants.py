"""The pictures of the two privacy variants, from one frame and its analytics.

``anonymised``: the camera picture with people, faces and vehicles pixelated (``anonymise.py``); drone
video also gets the ground-mosaic privacy floor (``ground_mosaic.py``).
``analytic``: no camera pixels at all, only where things are: a flat grey canvas with one outlined box
per tracked object (people red, vehicles blue), for partners allowed analytic data only.
"""

from __future__ import annotations

import cv2
import numpy as np

from ground_station.video.analytics.anonymise import ImageU8
from ground_station.video.analytics.detector import ObjectKind
from ground_station.video.analytics.ground_mosaic import ground_cell_px
from ground_station.video.analytics.pipeline import AnalyticsPipeline, FrameAnalytics
from ground_station.video.klv import UasDatalinkSample

CANVAS_BGR = (90, 90, 90)
_COLOURS = {
    ObjectKind.PERSON: (40, 40, 230),
    ObjectKind.VEHICLE: (230, 120, 40),
    ObjectKind.FACE: (40, 200, 230),
}


def analytic_picture(height: int, width: int, result: FrameAnalytics) -> ImageU8:
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = CANVAS_BGR
    if result.failed:
        cv2.putText(canvas, "no detector", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    for track in result.tracks:
        b = track.box
        cv2.rectangle(canvas, (int(b.x0), int(b.y0)), (int(b.x1), int(b.y1)), _COLOURS[track.kind], 2)
    return canvas


def privacy_picture(
    pipeline: AnalyticsPipeline,
    image: ImageU8,
    *,
    analytic_only: bool,
    aerial: bool = False,
    klv: UasDatalinkSample | None = None,
) -> ImageU8:
    """Runs the pipeline on this frame (detector every n-th frame) and draws the requested variant.
    ``aerial`` (a drone's camera): the anonymised picture gets the ground-mosaic privacy floor from the
    frame's ST 0601 ``klv``, or is pixelated whole when the metadata cannot give it."""
    if analytic_only:
        result = pipeline.step(image)
        return analytic_picture(image.shape[0], image.shape[1], result)
    floor = ground_cell_px(klv, image.shape[1]) if aerial else None
    anonymised, _ = pipeline.anonymised(image, floor_cell_px=floor, scene_unknown=aerial and floor is None)
    return anonymised
