"""Annotation burnt into a delivered variant: time, sensor, position, altitude AGL, heading.

Drawn on a copy (the ingested picture is shared by every variant and the recorder), with a dark band
behind the text so it stays readable over snow or fields. Missing values print as "-", and the pose
source (KLV, telemetry, fixed, none) is shown, so a viewer knows how far to trust the numbers.
"""

from __future__ import annotations

import cv2
import numpy as np

from ground_station.video.frames import ImageU8
from ground_station.video.ingest import VideoFrame


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


def overlay_lines(frame: VideoFrame, sensor_id: str) -> list[str]:
    pose = frame.pose
    return [
        f"{frame.time_utc:%Y-%m-%d %H:%M:%S.%f}"[:-3] + "Z  " + sensor_id,
        f"{_fmt(pose.lat, '.6f')} {_fmt(pose.lon, '.6f')}  AGL {_fmt(pose.alt_agl_m, '.0f', ' m')}  "
        f"HDG {_fmt(pose.heading_deg, '03.0f')}  [{pose.source.value}]",
    ]


def annotate(frame: VideoFrame, sensor_id: str) -> ImageU8:
    image = frame.image.copy()
    height, width = image.shape[:2]
    scale = max(0.35, min(1.0, width / 1280 * 0.8))
    thickness = 1 if scale < 0.7 else 2
    line_h = int(28 * scale) + 4
    lines = overlay_lines(frame, sensor_id)
    band = min(height, line_h * len(lines) + 6)
    image[height - band :, :] = (image[height - band :, :] * 0.4).astype(np.uint8)
    for i, text in enumerate(lines):
        y = height - band + line_h * (i + 1) - 2
        cv2.putText(
            image, text, (6, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA
        )
    return image
