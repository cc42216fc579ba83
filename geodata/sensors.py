"""Cameras on the map: pinhole projection, rays cast onto the terrain, ground footprints.

The maths works on a pose (position, yaw, pitch, roll) so the same code serves a fixed pole camera, a
drone's gimbal camera in the simulator, and later the video pipeline putting detections on the map.

Frames: the camera body is FRD (x forward along the optical axis, y right, z down); yaw is degrees
clockwise from true north, pitch is positive looking up (a pole camera tilted 20 deg down has pitch -20),
roll is positive right side down; rotations apply yaw, then pitch, then roll (aerospace Z-Y-X). Pixel
coordinates are continuous: (0, 0) is the top-left corner of the image, (width, height) the bottom-right
corner, the principal point is the image centre.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import Polygon

from geodata.crs import LocalTangentPlane
from geodata.errors import (
    DEFAULT_MAX_INPUT_BYTES,
    InputError,
    OutsideCoverageError,
    Problem,
)
from geodata.terrain import Terrain
from geodata.zones.source_io import load_json_document

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_RAY_CHUNK_POINTS = 2_000_000
"""Rays are cast in chunks so rays x steps never holds more than this many sample points at once."""


# ---- camera geometry (pose-based, reusable) -------------------------------------------------------


@dataclass(frozen=True)
class CameraIntrinsics:
    """An ideal pinhole camera (no distortion) given by image size and fields of view."""

    width_px: int
    height_px: int
    hfov_deg: float
    vfov_deg: float

    def __post_init__(self) -> None:
        problems = []
        for name in ("width_px", "height_px"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                problems.append(Problem(name, f"must be a positive whole number of pixels, got {value!r}"))
        for name in ("hfov_deg", "vfov_deg"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and 0.0 < value < 180.0):
                problems.append(Problem(name, f"must be between 0 and 180 degrees, got {value!r}"))
        if problems:
            raise InputError("<camera intrinsics>", problems)

    @property
    def fx(self) -> float:
        return self.width_px / 2.0 / math.tan(math.radians(self.hfov_deg) / 2.0)

    @property
    def fy(self) -> float:
        return self.height_px / 2.0 / math.tan(math.radians(self.vfov_deg) / 2.0)

    @property
    def cx(self) -> float:
        return self.width_px / 2.0

    @property
    def cy(self) -> float:
        return self.height_px / 2.0

    def border_pixels(self, per_edge: int) -> tuple[FloatArray, FloatArray]:
        """Pixels along the image outline, counter-clockwise on the ground for a down-looking camera:
        bottom edge left to right, right edge up, top edge right to left, left edge down."""
        t = np.linspace(0.0, 1.0, per_edge, endpoint=False)
        w, h = float(self.width_px), float(self.height_px)
        u = np.concatenate([t * w, np.full_like(t, w), (1 - t) * w, np.zeros_like(t)])
        v = np.concatenate([np.full_like(t, h), (1 - t) * h, np.zeros_like(t), t * h])
        return u, v


def _rotation_body_to_ned(yaw_deg: float, pitch_deg: float, roll_deg: float) -> FloatArray:
    y, p, r = (math.radians(a) for a in (yaw_deg, pitch_deg, roll_deg))
    cy, sy, cp, sp, cr, sr = math.cos(y), math.sin(y), math.cos(p), math.sin(p), math.cos(r), math.sin(r)
    rz = np.array([[cy, -sy, 0.0], [sy, cy, 0.0], [0.0, 0.0, 1.0]])
    ry = np.array([[cp, 0.0, sp], [0.0, 1.0, 0.0], [-sp, 0.0, cp]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cr, -sr], [0.0, sr, cr]])
    return np.asarray(rz @ ry @ rx, dtype=np.float64)


_NED_TO_ENU = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@dataclass(frozen=True)
class CameraPose:
    """Where a camera is and where it looks; altitude is AMSL so it meets DEM elevations directly."""

    lon: float
    lat: float
    alt_amsl_m: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float = 0.0
    _plane: LocalTangentPlane = field(init=False, repr=False, compare=False)
    _body_to_enu: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = {
            "lon": self.lon,
            "lat": self.lat,
            "alt_amsl_m": self.alt_amsl_m,
            "yaw_deg": self.yaw_deg,
            "pitch_deg": self.pitch_deg,
            "roll_deg": self.roll_deg,
        }
        bad = [Problem(k, f"must be a finite number, got {v!r}") for k, v in values.items() if not _finite(v)]
        if not bad and not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
            bad.append(Problem("lon/lat", f"({self.lon}, {self.lat}) is not a lon/lat position"))
        if bad:
            raise InputError("<camera pose>", bad)
        object.__setattr__(self, "_plane", LocalTangentPlane(self.lon, self.lat, self.alt_amsl_m))
        rotation = _NED_TO_ENU @ _rotation_body_to_ned(self.yaw_deg, self.pitch_deg, self.roll_deg)
        object.__setattr__(self, "_body_to_enu", rotation)

    @property
    def plane(self) -> LocalTangentPlane:
        """East-North-Up metres with the camera at the origin."""
        return self._plane

    def rays_enu(self, intrinsics: CameraIntrinsics, u: ArrayLike, v: ArrayLike) -> FloatArray:
        """Unit view rays (N x 3, East-North-Up) through pixels (u, v)."""
        us = np.atleast_1d(np.asarray(u, dtype=np.float64)).ravel()
        vs = np.atleast_1d(np.asarray(v, dtype=np.float64)).ravel()
        body = np.column_stack(
            [np.ones_like(us), (us - intrinsics.cx) / intrinsics.fx, (vs - intrinsics.cy) / intrinsics.fy]
        )
        body /= np.linalg.norm(body, axis=1, keepdims=True)
        return np.asarray(body @ self._body_to_enu.T, dtype=np.float64)

    def project(
        self, intrinsics: CameraIntrinsics, lon: ArrayLike, lat: ArrayLike, alt_amsl_m: ArrayLike
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Pixel (u, v) of world points and whether each lands inside the image in front of the camera.

        Pure geometry: a hill between the camera and the point does not hide it here (see ``line_of_sight``).
        """
        east, north, up = self._plane.to_enu(lon, lat, alt_amsl_m)
        enu = np.column_stack([east.ravel(), north.ravel(), up.ravel()])
        body = enu @ self._body_to_enu  # inverse rotation: R^T applied to each row
        forward = body[:, 0]
        in_front = forward > 1e-9
        safe = np.where(in_front, forward, 1.0)
        u = np.where(in_front, intrinsics.cx + intrinsics.fx * body[:, 1] / safe, np.nan)
        v = np.where(in_front, intrinsics.cy + intrinsics.fy * body[:, 2] / safe, np.nan)
        inside = in_front & (u >= 0) & (u <= intrinsics.width_px) & (v >= 0) & (v <= intrinsics.height_px)
        return u, v, inside


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class RayHits:
    """Where rays met the terrain; NaN coordinates and ``hit`` False for rays that met nothing."""

    lon: FloatArray
    lat: FloatArray
    alt_amsl_m: FloatArray
    range_m: FloatArray
    hit: BoolArray


def default_step_m(max_range_m: float, resolution_m: float | None = None) -> float:
    """Ray-march step: 1/1000 of the range kept between 1 and 10 m, and at most half a DEM pixel,
    so no DEM cell (hence no bilinear wall or ridge) fits between two samples."""
    step = min(max(max_range_m / 1000.0, 1.0), 10.0)
    if resolution_m is not None and resolution_m > 0:
        step = min(step, resolution_m / 2.0)
    return step


def cast_rays(
    pose: CameraPose,
    rays_enu: FloatArray,
    terrain: Terrain,
    max_range_m: float,
    *,
    step_m: float | None = None,
) -> RayHits:
    """Marches each ray out to ``max_range_m`` and refines the first crossing below the terrain surface.

    Earth curvature is included (the marching happens in ENU and heights come back from the ellipsoid).
    Where the terrain is unknown a ray cannot hit anything there: unknown ground is never invented.
    """
    if not (_finite(max_range_m) and max_range_m > 0):
        raise InputError("<ray cast>", [Problem("max_range_m", f"must be positive, got {max_range_m!r}")])
    step = step_m if step_m is not None else default_step_m(max_range_m, terrain.resolution_m)
    count = rays_enu.shape[0]
    lon = np.full(count, np.nan)
    lat = np.full(count, np.nan)
    alt = np.full(count, np.nan)
    rng = np.full(count, np.nan)
    hit = np.zeros(count, dtype=bool)
    distances = np.arange(1, math.ceil(max_range_m / step) + 1, dtype=np.float64) * step
    distances[-1] = max_range_m
    rays_per_chunk = max(1, _RAY_CHUNK_POINTS // distances.size)
    for start in range(0, count, rays_per_chunk):
        chunk = slice(start, min(start + rays_per_chunk, count))
        found = _march(pose, rays_enu[chunk], terrain, distances)
        rng[chunk] = found
    got = ~np.isnan(rng)
    if got.any():
        points = rays_enu[got] * rng[got, np.newaxis]
        hit_lon, hit_lat, hit_alt = pose.plane.from_enu(points[:, 0], points[:, 1], points[:, 2])
        lon[got], lat[got], alt[got] = hit_lon, hit_lat, hit_alt
        hit[got] = True
    return RayHits(lon, lat, alt, rng, hit)


def _height_above_ground(
    pose: CameraPose, rays: FloatArray, terrain: Terrain, dist: FloatArray
) -> FloatArray:
    """Height of ray points above the terrain (NaN where unknown); ``dist`` broadcasts against the rays."""
    east = rays[:, 0:1] * dist
    north = rays[:, 1:2] * dist
    up = rays[:, 2:3] * dist
    lon, lat, alt = pose.plane.from_enu(east, north, up)
    return np.asarray(alt - terrain.sample(lon, lat).elevation_amsl_m, dtype=np.float64)


def _march(pose: CameraPose, rays: FloatArray, terrain: Terrain, distances: FloatArray) -> FloatArray:
    above = _height_above_ground(pose, rays, terrain, distances[np.newaxis, :])
    below = above <= 0.0  # NaN compares False: unknown terrain is never a hit
    first = np.argmax(below, axis=1)
    has_hit = below[np.arange(rays.shape[0]), first]
    result = np.full(rays.shape[0], np.nan)
    if not has_hit.any():
        return result
    rows = np.flatnonzero(has_hit)
    hi = distances[first[rows]]
    lo = np.where(first[rows] > 0, distances[np.maximum(first[rows] - 1, 0)], 0.0)
    hit_rays = rays[rows]
    for _ in range(12):  # bisection: the bracket shrinks to step / 4096
        mid = (lo + hi) / 2.0
        mid_above = _height_above_ground(pose, hit_rays, terrain, mid[:, np.newaxis])[:, 0]
        under = ~(mid_above > 0.0)
        hi = np.where(under, mid, hi)
        lo = np.where(under, lo, mid)
    result[rows] = (lo + hi) / 2.0
    return result


def line_of_sight(
    pose: CameraPose,
    terrain: Terrain,
    lon: ArrayLike,
    lat: ArrayLike,
    alt_amsl_m: ArrayLike,
    *,
    clearance_m: float = 1.0,
    step_m: float | None = None,
) -> BoolArray:
    """True where no terrain rises above the straight line from the camera to the point.

    The last ``clearance_m`` before the point are not checked, so a point on the ground can see the camera.
    """
    east, north, up = pose.plane.to_enu(lon, lat, alt_amsl_m)
    target = np.column_stack([east.ravel(), north.ravel(), up.ravel()])
    length = np.linalg.norm(target, axis=1)
    visible = np.ones(length.size, dtype=bool)
    checked = length > clearance_m
    if not checked.any():
        return visible
    rays = target[checked] / length[checked, np.newaxis]
    hits = cast_rays(pose, rays, terrain, float(length[checked].max()), step_m=step_m)
    blocked = hits.hit & (hits.range_m < length[checked] - clearance_m)
    visible[np.flatnonzero(checked)[blocked]] = False
    return visible


def ground_footprint(
    pose: CameraPose,
    intrinsics: CameraIntrinsics,
    terrain: Terrain,
    max_range_m: float,
    *,
    rays_per_edge: int = 16,
    step_m: float | None = None,
) -> Polygon:
    """The outline of the ground the image shows, from rays through the image border cast onto terrain.

    A border ray that meets no ground within ``max_range_m`` (sky, unknown terrain) ends at that range.
    Terrain can fold the outline onto itself (a ridge in front of a valley); the result is then the
    valid polygon of largest area.
    """
    u, v = intrinsics.border_pixels(rays_per_edge)
    rays = pose.rays_enu(intrinsics, u, v)
    hits = cast_rays(pose, rays, terrain, max_range_m, step_m=step_m)
    ends = rays * np.where(hits.hit, hits.range_m, max_range_m)[:, np.newaxis]
    lon, lat, _alt = pose.plane.from_enu(ends[:, 0], ends[:, 1], ends[:, 2])
    polygon = Polygon(np.column_stack([lon, lat]))
    if polygon.is_valid:
        return polygon
    repaired = shapely.make_valid(polygon)
    parts = [g for g in shapely.get_parts(repaired) if isinstance(g, Polygon) and not g.is_empty]
    if not parts:
        return Polygon()
    return max(parts, key=lambda g: g.area)


# ---- fixed cameras ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedCamera:
    """A camera on a pole or a building, as a partner town registers it."""

    id: str
    name: str
    organisation: str
    lon: float
    lat: float
    mount_height_agl_m: float
    heading_deg: float
    tilt_deg: float
    """Degrees down from the horizontal."""
    hfov_deg: float
    vfov_deg: float
    max_range_m: float
    width_px: int
    height_px: int
    stream_url: str | None = None

    def __post_init__(self) -> None:
        problems = [
            Problem(name, f"must be a finite number, got {getattr(self, name)!r}")
            for name in ("lon", "lat", "mount_height_agl_m", "heading_deg", "tilt_deg", "max_range_m")
            if not _finite(getattr(self, name))
        ]
        if not problems:
            if not (-180 <= self.lon <= 180 and -90 <= self.lat <= 90):
                problems.append(Problem("lon/lat", f"({self.lon}, {self.lat}) is not a lon/lat position"))
            if self.mount_height_agl_m < 0:
                problems.append(Problem("mount_height_agl_m", "must not be negative"))
            if not -90 <= self.tilt_deg <= 90:
                problems.append(Problem("tilt_deg", "must be between -90 (up) and 90 (straight down)"))
            if self.max_range_m <= 0:
                problems.append(Problem("max_range_m", "must be positive"))
        if not self.id:
            problems.append(Problem("id", "must not be empty"))
        if problems:
            raise InputError(f"camera {self.id or '?'}", problems)
        _ = self.intrinsics  # validates fov and image size, naming this camera in the error

    @property
    def intrinsics(self) -> CameraIntrinsics:
        try:
            return CameraIntrinsics(self.width_px, self.height_px, self.hfov_deg, self.vfov_deg)
        except InputError as exc:
            raise InputError(f"camera {self.id}", exc.problems) from None

    def pose(self, terrain: Terrain) -> CameraPose:
        """The camera's pose, standing ``mount_height_agl_m`` above the terrain (which must cover it)."""
        ground = float(terrain.elevation_amsl_m(self.lon, self.lat))
        return CameraPose(
            self.lon, self.lat, ground + self.mount_height_agl_m, self.heading_deg, -self.tilt_deg, 0.0
        )

    # --- GeoJSON (region dataset: cameras.geojson) ---

    @classmethod
    def from_geojson_feature(cls, feature: Mapping[str, Any], where: str = "$") -> FixedCamera:
        """A Point feature whose properties are the field names of this class (except lon/lat).

        Required: id, name, organisation, mount_height_agl_m, heading_deg, tilt_deg, hfov_deg, vfov_deg,
        max_range_m, width_px, height_px; optional: stream_url.
        """
        geometry = feature.get("geometry")
        props = feature.get("properties")
        if not isinstance(geometry, Mapping) or geometry.get("type") != "Point":
            raise InputError(where, [Problem(f"{where}.geometry", "a camera needs a Point geometry")])
        coords = geometry.get("coordinates")
        if not isinstance(coords, list) or len(coords) < 2 or not all(_finite(c) for c in coords[:2]):
            raise InputError(where, [Problem(f"{where}.geometry.coordinates", "must be [lon, lat]")])
        if not isinstance(props, Mapping):
            raise InputError(where, [Problem(f"{where}.properties", "must be an object")])
        problems: list[Problem] = []
        values: dict[str, Any] = {}
        for name, kind in _CAMERA_PROPERTY_TYPES.items():
            value = props.get(name)
            if value is None and name == "stream_url":
                values[name] = None
                continue
            if value is None:
                problems.append(Problem(f"{where}.properties.{name}", "missing"))
            elif kind is float and _finite(value):
                values[name] = float(value)
            elif kind is int and isinstance(value, int) and not isinstance(value, bool):
                values[name] = value
            elif kind is str and isinstance(value, str):
                values[name] = value
            else:
                problems.append(
                    Problem(f"{where}.properties.{name}", f"must be {kind.__name__}, got {value!r}")
                )
        if problems:
            raise InputError(where, problems)
        try:
            return cls(lon=float(coords[0]), lat=float(coords[1]), **values)
        except InputError as exc:
            raise InputError(
                where, [Problem(f"{where}.properties.{p.location}", p.message) for p in exc.problems]
            ) from None


_CAMERA_PROPERTY_TYPES: dict[str, type] = {
    "id": str,
    "name": str,
    "organisation": str,
    "mount_height_agl_m": float,
    "heading_deg": float,
    "tilt_deg": float,
    "hfov_deg": float,
    "vfov_deg": float,
    "max_range_m": float,
    "width_px": int,
    "height_px": int,
    "stream_url": str,
}


def load_cameras_geojson(
    source: str | Path | Mapping[str, Any], *, max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
) -> list[FixedCamera]:
    """Every camera of a FeatureCollection; any bad feature fails the load with all problems listed."""
    name = "<memory>"
    document: object = source
    if not isinstance(source, Mapping):
        document, name = load_json_document(Path(source), max_input_bytes)
    if not isinstance(document, Mapping) or not isinstance(document.get("features"), list):
        raise InputError(name, [Problem("$", "expected a FeatureCollection with a 'features' array")])
    cameras: list[FixedCamera] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, feature in enumerate(document["features"]):
        where = f"$.features[{index}]"
        if not isinstance(feature, Mapping):
            problems.append(Problem(where, "feature is not an object"))
            continue
        try:
            camera = FixedCamera.from_geojson_feature(feature, where)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if camera.id in seen:
            problems.append(Problem(f"{where}.properties.id", f"duplicate camera id {camera.id!r}"))
            continue
        seen.add(camera.id)
        cameras.append(camera)
    if problems:
        raise InputError(name, problems)
    return cameras


# ---- fixed-camera conveniences ---------------------------------------------------------------------


def footprint(
    camera: FixedCamera, terrain: Terrain, *, rays_per_edge: int = 16, step_m: float | None = None
) -> Polygon:
    """Ground footprint of a fixed camera on the terrain (ray-cast, not a flat-earth trapezoid)."""
    return ground_footprint(
        camera.pose(terrain),
        camera.intrinsics,
        terrain,
        camera.max_range_m,
        rays_per_edge=rays_per_edge,
        step_m=step_m,
    )


def pixels_to_ground(
    camera: FixedCamera, terrain: Terrain, u: ArrayLike, v: ArrayLike, *, step_m: float | None = None
) -> RayHits:
    """Vectorised pixel -> terrain point within the camera's max range (``hit`` False where none)."""
    pose = camera.pose(terrain)
    return cast_rays(pose, pose.rays_enu(camera.intrinsics, u, v), terrain, camera.max_range_m, step_m=step_m)


def pixel_to_ground(
    camera: FixedCamera, terrain: Terrain, u: float, v: float, *, step_m: float | None = None
) -> tuple[float, float, float] | None:
    """Ground point (lon, lat, alt_amsl_m) seen at pixel (u, v), or None if it shows no ground in range."""
    hits = pixels_to_ground(camera, terrain, [u], [v], step_m=step_m)
    if not hits.hit[0]:
        return None
    return float(hits.lon[0]), float(hits.lat[0]), float(hits.alt_amsl_m[0])


def ground_to_pixel(
    camera: FixedCamera,
    terrain: Terrain,
    lon: float,
    lat: float,
    alt_amsl_m: float | None = None,
    *,
    check_occlusion: bool = False,
) -> tuple[float, float] | None:
    """Pixel (u, v) where a world point appears, or None if it is outside the image or behind the camera.

    Without ``alt_amsl_m`` the point is on the ground. With ``check_occlusion`` a point hidden behind
    terrain also gives None.
    """
    pose = camera.pose(terrain)
    alt = float(terrain.elevation_amsl_m(lon, lat)) if alt_amsl_m is None else alt_amsl_m
    u, v, inside = pose.project(camera.intrinsics, lon, lat, alt)
    if not inside[0]:
        return None
    if check_occlusion and not line_of_sight(pose, terrain, lon, lat, alt)[0]:
        return None
    return float(u[0]), float(v[0])


def footprints_geojson(cameras: list[FixedCamera], terrain: Terrain) -> dict[str, Any]:
    """The cameras' footprints as a GeoJSON FeatureCollection for the map (one Polygon per camera).

    A camera the terrain does not cover gets a null geometry and ``"terrain": "unknown"``, not a guess.
    """
    features: list[dict[str, Any]] = []
    for camera in cameras:
        properties: dict[str, Any] = {
            "id": camera.id,
            "name": camera.name,
            "organisation": camera.organisation,
            "max_range_m": camera.max_range_m,
        }
        try:
            polygon = footprint(camera, terrain)
        except OutsideCoverageError:
            features.append(
                {"type": "Feature", "geometry": None, "properties": {**properties, "terrain": "unknown"}}
            )
            continue
        properties["terrain"] = terrain.sample(camera.lon, camera.lat).worst_quality.value
        features.append(
            {"type": "Feature", "geometry": json.loads(shapely.to_geojson(polygon)), "properties": properties}
        )
    return {"type": "FeatureCollection", "features": features}


__all__ = [
    "CameraIntrinsics",
    "CameraPose",
    "FixedCamera",
    "RayHits",
    "cast_rays",
    "footprint",
    "footprints_geojson",
    "ground_footprint",
    "ground_to_pixel",
    "line_of_sight",
    "load_cameras_geojson",
    "pixel_to_ground",
    "pixels_to_ground",
]
