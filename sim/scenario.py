"""Scenario files: which vehicles, cameras, moving people/cars and wind a simulation run has.

YAML in, pydantic models out; every error names the file, the field path and (for YAML syntax) the line.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

try:
    from geodata.errors import DEFAULT_MAX_INPUT_BYTES
except ImportError:  # geodata is written in parallel; keep the documented default
    DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024

DEFAULT_SCENARIO = "jesenik_nysa.yaml"

Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
Lat = Annotated[float, Field(ge=-90.0, le=90.0)]


class ScenarioError(ValueError):
    """A scenario that cannot be used, with where and why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VehicleType(StrEnum):
    QUADROTOR = "quadrotor"


class HomeSpec(_Model):
    lon: Lon
    lat: Lat
    alt_amsl_m: float | None = Field(
        default=None, description="ground elevation; taken from terrain if absent"
    )


class BatteryConfig(_Model):
    capacity_mah: float = Field(default=5000.0, gt=0)
    cells: int = Field(default=4, ge=1, le=14)
    initial_remaining: float = Field(default=1.0, ge=0.0, le=1.0)
    hover_current_a: float = Field(default=14.0, gt=0)


class VehicleSpec(_Model):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    home: HomeSpec
    type: VehicleType = VehicleType.QUADROTOR
    system_id: int = Field(default=1, ge=1, le=255)
    battery: BatteryConfig = BatteryConfig()
    params: dict[str, float] = Field(default_factory=dict)


class CameraKind(StrEnum):
    DRONE = "drone"
    FIXED = "fixed"


class CameraSpec(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
    kind: CameraKind
    vehicle: str | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    height_m: float = Field(default=6.0, gt=0, le=500, description="mount height above ground")
    heading_deg: float = 0.0
    tilt_deg: float = Field(default=15.0, ge=-30.0, le=90.0, description="degrees down from horizontal")
    hfov_deg: float = Field(default=70.0, gt=1.0, lt=170.0)
    vfov_deg: float = Field(default=43.0, gt=1.0, lt=170.0)
    width: int = Field(default=1280, ge=16, le=3840)
    height: int = Field(default=720, ge=16, le=2160)
    fps: float = Field(default=30.0, gt=0, le=60)
    transport: Literal["mjpeg", "rtsp"] = Field(default="mjpeg", description="how a fixed camera serves")
    burn_in_clock: bool = Field(default=False, description="capture time drawn into the picture (benchmarks)")

    @model_validator(mode="after")
    def _placed(self) -> CameraSpec:
        if self.kind == CameraKind.DRONE and not self.vehicle:
            raise ValueError("a drone camera needs 'vehicle'")
        if self.kind == CameraKind.FIXED and (self.lon is None or self.lat is None):
            raise ValueError("a fixed camera needs 'lon' and 'lat'")
        return self


class ObjectKind(StrEnum):
    PERSON = "person"
    CAR = "car"


class RoadMotion(_Model):
    type: Literal["road"] = "road"
    path: list[tuple[Lon, Lat]] = Field(min_length=2)
    loop: bool = False


class RandomWalkMotion(_Model):
    type: Literal["random_walk"] = "random_walk"
    centre: tuple[Lon, Lat]
    radius_m: float = Field(gt=0, le=20000)


class GroundObjectGroup(_Model):
    kind: ObjectKind
    count: int = Field(default=1, ge=1, le=500)
    speed_mps: float = Field(ge=0, le=60)
    motion: Annotated[RoadMotion | RandomWalkMotion, Field(discriminator="type")]


class WindConfig(_Model):
    speed_mps: float = Field(default=0.0, ge=0, le=60)
    from_deg: float = 0.0
    gust_sigma_mps: float = Field(default=0.0, ge=0, le=30)
    gust_tau_s: float = Field(default=3.0, gt=0)


class TerrainConfig(_Model):
    dem: Path | None = None
    vertical_accuracy_m: float | None = Field(default=None, gt=0)


class Scenario(_Model):
    name: str = "scenario"
    seed: int = 0
    terrain: TerrainConfig = TerrainConfig()
    wind: WindConfig = WindConfig()
    vehicles: list[VehicleSpec] = Field(default_factory=list)
    cameras: list[CameraSpec] = Field(default_factory=list)
    ground_objects: list[GroundObjectGroup] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        slugs = [v.slug for v in self.vehicles]
        duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
        if duplicates:
            raise ValueError(f"vehicle slugs must be unique; repeated: {', '.join(duplicates)}")
        ids = [c.id for c in self.cameras]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"camera ids must be unique; repeated: {', '.join(repeated)}")
        for camera in self.cameras:
            if camera.vehicle is not None and camera.vehicle not in slugs:
                raise ValueError(f"camera {camera.id!r} names unknown vehicle {camera.vehicle!r}")
        return self


def _format_validation(source: str, exc: ValidationError) -> str:
    lines = [f"{source}: invalid scenario"]
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"]) or "(top level)"
        lines.append(f"  {path}: {error['msg']}")
    return "\n".join(lines)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{source}:{where}: YAML syntax error: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario must be a mapping at the top level, not {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_validation(source, exc)) from None


def load_scenario(path: Path, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> Scenario:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario ({exc.strerror})") from None
    if size > max_bytes:
        raise ScenarioError(
            f"{path}: {size} bytes is above the {max_bytes}-byte input limit; refusing to parse"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    scenario = parse_scenario(text, str(path))
    dem = scenario.terrain.dem
    if dem is not None and not dem.is_absolute():
        terrain = scenario.terrain.model_copy(update={"dem": (path.parent / dem).resolve()})
        scenario = scenario.model_copy(update={"terrain": terrain})
    return scenario


def default_scenario() -> Scenario:
    """The packaged Jeseník-Nysa scenario with three drones sim-1..3 (used by ``borderwatch demo``)."""
    text = resources.files("sim.scenarios").joinpath(DEFAULT_SCENARIO).read_text(encoding="utf-8")
    return parse_scenario(text, f"sim/scenarios/{DEFAULT_SCENARIO}")


def with_vehicle_count(scenario: Scenario, count: int) -> Scenario:
    """Trims or extends the vehicle list to ``count``; extra vehicles line up 25 m east of the last one."""
    if count < 1:
        raise ScenarioError("--vehicles must be at least 1")
    vehicles = list(scenario.vehicles[:count])
    if not vehicles:
        vehicles = [VehicleSpec(slug="sim-1", home=HomeSpec(lon=17.205, lat=50.229))]
    template = vehicles[-1]
    used = {v.slug for v in vehicles}
    index = len(vehicles)
    while len(vehicles) < count:
        index += 1
        slug = f"sim-{index}"
        while slug in used:
            index += 1
            slug = f"sim-{index}"
        shift_deg = 25.0 * (len(vehicles) - len(scenario.vehicles[:count]) + 1) / 71400.0
        home = template.home.model_copy(update={"lon": template.home.lon + shift_deg})
        vehicles.append(template.model_copy(update={"slug": slug, "home": home}))
        used.add(slug)
    kept = {v.slug for v in vehicles}
    cameras = [c for c in scenario.cameras if c.vehicle is None or c.vehicle in kept]
    return scenario.model_copy(update={"vehicles": vehicles, "cameras": cameras})
