"""Detections onto the map: the ray through a box's ground-contact pixel, cast onto the DEM.

The ground-contact pixel is the bottom centre of the box (feet, tyres). The uncertainty radius adds
(a) half the object's footprint (the bottom of a box is the object's nearest edge, not its centre),
(b) the ground distance between the rays through the contact pixel and the box-edge error above it
(2 px or 15 % of the box height, whichever is larger: detector boxes are that loose; it grows fast
at grazing angles), and (c) the terrain's vertical accuracy turned into a
horizontal error by the ray's grazing angle (a DEM that does not say its accuracy counts as 1 m).
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict

from geodata.sensors import CameraIntrinsics, CameraPose, cast_rays
from geodata.terrain import Terrain
from ground_station.video.analytics.detector import ObjectKind
from ground_station.video.analytics.tracker import TrackedBox

PIXEL_ERROR = 2.0
EDGE_ERROR_FRAC = 0.15
HALF_FOOTPRINT_M = {ObjectKind.PERSON: 0.35, ObjectKind.VEHICLE: 2.4, ObjectKind.FACE: 0.35}


class GeoDetection(BaseModel):
    """A detection as a map point (what is published on ``camera.<id>.detections`` and served)."""

    model_config = ConfigDict(frozen=True)

    camera_id: str
    track_id: int
    kind: ObjectKind
    lon: float
    lat: float
    alt_amsl_m: float
    uncertainty_m: float
    range_m: float
    time_utc: datetime
    score: float


def geolocate(
    camera_id: str,
    tracks: list[TrackedBox],
    pose: CameraPose,
    intrinsics: CameraIntrinsics,
    terrain: Terrain,
    time_utc: datetime,
    *,
    max_range_m: float = 3000.0,
    raw_boxes: bool = True,
) -> list[GeoDetection]:
    """Map points for the given tracks; a box whose ray meets no known terrain gives no point.

    ``raw_boxes``: the boxes are as detected (no anonymisation margin); pass tracks fresh from a
    detection for the best position.
    """
    if not tracks:
        return []
    u = np.array([(t.box.x0 + t.box.x1) / 2 for t in tracks])
    v_foot = np.array([t.box.y1 for t in tracks])
    v_above = v_foot - np.array([max(PIXEL_ERROR, EDGE_ERROR_FRAC * t.box.height) for t in tracks])
    rays = pose.rays_enu(intrinsics, np.concatenate([u, u]), np.concatenate([v_foot, v_above]))
    hits = cast_rays(pose, rays, terrain, max_range_m)
    n = len(tracks)
    out = []
    vertical_acc = terrain.vertical_accuracy_m if math.isfinite(terrain.vertical_accuracy_m) else 1.0
    for i, track in enumerate(tracks):
        if not hits.hit[i]:
            continue
        east, north, up = pose.plane.to_enu(hits.lon[i], hits.lat[i], hits.alt_amsl_m[i])
        spread = max_range_m  # two pixels above the contact point is beyond the range: no upper bound
        if hits.hit[n + i]:
            e2, n2, _ = pose.plane.to_enu(hits.lon[n + i], hits.lat[n + i], hits.alt_amsl_m[n + i])
            spread = float(math.hypot(float(e2) - float(east), float(n2) - float(north)))
        rng = float(hits.range_m[i])
        grazing = max(math.asin(min(1.0, max(-float(up) / rng, 0.02))), 0.02)
        terrain_err = vertical_acc / math.tan(grazing)
        out.append(
            GeoDetection(
                camera_id=camera_id,
                track_id=track.track_id,
                kind=track.kind,
                lon=float(hits.lon[i]),
                lat=float(hits.lat[i]),
                alt_amsl_m=float(hits.alt_amsl_m[i]),
                uncertainty_m=round(HALF_FOOTPRINT_M[track.kind] + spread + terrain_err, 2),
                range_m=round(rng, 1),
                time_utc=time_utc,
                score=track.score,
            )
        )
    return out
