"""Service configuration: one TOML or YAML file, overridden by ``BORDERWATCH_*`` environment variables.

Environment wins over the file so that a container or a test can change one value (a port, a data
directory) without rewriting the file. Nested values use ``__``: ``BORDERWATCH_HTTP__PORT=8001``.
Errors name the file and the field (``vehicles.0.mavlink_url``), never a traceback.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from geodata.errors import DEFAULT_MAX_INPUT_BYTES
from geodata.userdata import default_data_dir
from ground_station.sharing.config import SharingConfig

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
"""Vehicle and organisation ids become NATS subject tokens (``vehicle.<slug>.position``): no dots."""

MAVLINK_URL_PATTERN = re.compile(r"^(udpin|udpout|udp|tcpin|tcpout|tcp|serial)://\S+$")


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and every bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VehicleConfig(_Strict):
    """A vehicle to connect to; ``slug`` is its identity everywhere (design contract 5)."""

    slug: str
    mavlink_url: str
    organisation: str | None = None
    """Owning organisation slug; ``None`` means the station's own organisation."""

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_PATTERN.match(value):
            raise ValueError("must be lower-case letters, digits and '-', starting with a letter or digit")
        return value

    @field_validator("mavlink_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not MAVLINK_URL_PATTERN.match(value):
            raise ValueError(
                "must look like udpin://127.0.0.1:14540, tcp://host:5760 or serial:///dev/ttyACM0"
            )
        return value


class CameraConfig(_Strict):
    """A video source the station shows; fixed cameras of the region come from the region dataset."""

    id: str
    kind: str = "fixed"
    stream_url: str
    vehicle_slug: str | None = None
    sdp_path: Path | None = None


class VideoSourceConfig(_Strict):
    """A stream to ingest besides the configured cameras: RTSP cameras, files to replay."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    url: str
    """``rtsp://``, ``http(s)://`` (MJPEG), a ``.sdp`` file (RTP/H.264) or an MP4 / MPEG-TS file."""
    vehicle_slug: str | None = None
    """Bind to this vehicle's gimbal; else to the region camera with the same id, if any."""


class VideoConfig(_Strict):
    """The video pipeline (ingest, recording, browser delivery); off unless enabled."""

    enabled: bool = False
    record: bool = True
    recordings_dir: Path | None = None
    """Defaults to ``<data_dir>/recordings``."""
    segment_s: float = Field(default=60.0, gt=0)
    raw_retention_days: float = Field(default=7.0, gt=0)
    stall_timeout_s: float = Field(default=5.0, gt=0)
    ticket_ttl_s: float = Field(default=30.0, gt=0, le=300)
    jpeg_quality: int = Field(default=80, ge=10, le=100)
    http_send_buffer_bytes: int = Field(default=256 * 1024, ge=16 * 1024, le=16 * 1024 * 1024)
    """Send buffer of the service's connections while video is on (bounds MJPEG latency to slow viewers)."""
    webrtc_ice_addresses: list[str] = Field(default_factory=lambda: ["127.0.0.1"])
    """Host addresses WebRTC may offer as ICE candidates (every socket binds 127.0.0.1 unless configured)."""
    sources: list[VideoSourceConfig] = Field(default_factory=list)
    detector: Literal["none", "foreground", "centerface", "yolov8n"] = "none"
    """Video analytics (issue 13): ``foreground`` (fixed cameras, no weights), ``centerface`` (faces,
    weights prepared by scripts/setup.sh) or ``yolov8n`` (people and vehicles, tiled, for drone cameras,
    plus CenterFace's faces; an optional extra whose weights are AGPL-3.0, extracted by setup.sh, see
    ground_station/video/analytics/SOURCES.md). ``none``: the anonymised variant pixelates whole frames."""


class StorageConfig(_Strict):
    sqlite_path: Path | None = None
    """Defaults to ``<data_dir>/borderwatch.sqlite3``."""
    tlog_dir: Path | None = None
    """Defaults to ``<data_dir>/tlogs``."""
    busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    """How long a write waits for a lock held by another process before it is reported as locked."""
    detection_retention_days: float | None = Field(default=7.0, gt=0)
    """Geo-located detections (people and vehicles seen by the cameras) older than this are deleted
    hourly; ``null`` keeps them like track points. Default: as long as raw video is kept."""
    journal_path: Path | None = None
    """Spill journal for alerts/audit/flight events the store refuses; defaults to
    ``<data_dir>/spill-journal.jsonl``. Put it on another disk than the database to survive a full one."""


class HttpConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)


class OrganisationConfig(_Strict):
    """The organisation operating this station; its users and vehicles are the default owners."""

    slug: str = "local"
    name: str = "Local station"
    country: str = Field(default="CZ", pattern=r"^[A-Z]{2}$")

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_PATTERN.match(value):
            raise ValueError("must be lower-case letters, digits and '-'")
        return value


class AuthConfig(_Strict):
    access_token_minutes: float = Field(default=15.0, gt=0, le=24 * 60)
    refresh_token_days: float = Field(default=7.0, gt=0, le=365)
    jwt_secret_file: Path | None = None
    """Defaults to ``<data_dir>/jwt-secret``; created with a random secret on first run."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses or CIDR networks of reverse proxies whose ``X-Forwarded-For`` is believed (login
    throttling keys on the client address); empty: the TCP peer is the client."""
    login_free_failures: int = Field(default=3, ge=0, le=100)
    login_base_delay_s: float = Field(default=1.0, gt=0, le=3600)
    login_max_delay_s: float = Field(default=300.0, gt=0, le=24 * 3600)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"{proxy!r} is not an IP address or network") from None
        return value


_config_file: ContextVar[dict[str, Any] | None] = ContextVar("_config_file", default=None)


class _FileSource(PydanticBaseSettingsSource):
    """Values read from the config file by :func:`load_settings` (already parsed, size-checked)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        data = _config_file.get() or {}
        return data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_config_file.get() or {})


class StationSettings(BaseSettings):
    """Everything the service needs to start; see :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="BORDERWATCH_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    region: str = "jesenik-nysa"
    """Region name under ``geodata/regions/`` or a path to a region folder (``BORDERWATCH_REGION``)."""
    data_dir: Path = Field(default_factory=default_data_dir)
    """The user data directory shared with geodata (design contract 3): one lookup for both."""
    dem_paths: list[Path] = Field(default_factory=list)
    """DEM files or folders to use instead of the region manifest's search list (empty: the manifest's)."""
    vehicles: list[VehicleConfig] = Field(default_factory=list)
    cameras: list[CameraConfig] = Field(default_factory=list)
    video: VideoConfig = Field(default_factory=VideoConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    organisation: OrganisationConfig = Field(default_factory=OrganisationConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    sharing: SharingConfig = Field(default_factory=SharingConfig)
    max_input_bytes: int = Field(default=DEFAULT_MAX_INPUT_BYTES, gt=0)

    @model_validator(mode="after")
    def _unique_slugs(self) -> StationSettings:
        seen: set[str] = set()
        for index, vehicle in enumerate(self.vehicles):
            if vehicle.slug in seen:
                raise ValueError(f"vehicles.{index}.slug: duplicate vehicle slug {vehicle.slug!r}")
            seen.add(vehicle.slug)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls))

    @property
    def sqlite_path(self) -> Path:
        return self.storage.sqlite_path or self.data_dir / "borderwatch.sqlite3"

    @property
    def journal_path(self) -> Path:
        return self.storage.journal_path or self.data_dir / "spill-journal.jsonl"

    @property
    def tlog_dir(self) -> Path:
        return self.storage.tlog_dir or self.data_dir / "tlogs"

    @property
    def recordings_dir(self) -> Path:
        return self.video.recordings_dir or self.data_dir / "recordings"

    @property
    def jwt_secret_file(self) -> Path:
        return self.auth.jwt_secret_file or self.data_dir / "jwt-secret"

    def vehicle_organisation(self, slug: str) -> str:
        for vehicle in self.vehicles:
            if vehicle.slug == slug:
                return vehicle.organisation or self.organisation.slug
        return self.organisation.slug


def read_config_file(path: Path, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> dict[str, Any]:
    """Parses a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file into a mapping, refusing huge files."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    if size > max_bytes:
        raise ConfigError(f"{path}: config file is {size} bytes, above the {max_bytes} byte limit")
    text = path.read_text(encoding="utf-8", errors="replace")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise ConfigError(f"{path}: unknown config format {suffix!r} (use .toml, .yaml or .yml)")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a table/mapping, got {type(data).__name__}")
    return data


def format_validation_error(source: str, error: ValidationError) -> str:
    lines = [f"{source}: {error.error_count()} invalid setting(s)"]
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  {where}: {item['msg']}")
    return "\n".join(lines)


def load_settings(path: Path | None = None, **overrides: Any) -> StationSettings:
    """Settings from ``path`` (optional) + environment + explicit ``overrides`` (highest priority)."""
    data = read_config_file(path) if path is not None else {}
    token = _config_file.set(data)
    try:
        return StationSettings(**overrides)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(str(path) if path else "settings", exc)) from None
    finally:
        _config_file.reset(token)
