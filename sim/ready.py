"""The ready-json the simulator writes once every vehicle and camera is up (design contract 6).

The ground station parses the same JSON with its own model and never imports ``sim``; keep field names
stable and additive.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_BASE_PORT = 14540
"""Vehicle i sends MAVLink to 127.0.0.1:14540+i, like PX4 SITL's API link (design contract 6)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReadyHome(_Model):
    lon: float
    lat: float
    alt_amsl_m: float


class ReadyVehicle(_Model):
    slug: str
    system_id: int = Field(ge=1, le=255)
    mavlink_url: str = Field(description="what the ground station opens, e.g. udpin://127.0.0.1:14541")
    home: ReadyHome


class ReadyCamera(_Model):
    id: str
    kind: Literal["drone", "fixed"]
    vehicle_slug: str | None
    stream_url: str
    sdp_path: str | None
    keepalive_url: str | None = None
    pose: dict[str, Any]


class ReadyInfo(_Model):
    control_url: str
    speed: float
    vehicles: list[ReadyVehicle]
    cameras: list[ReadyCamera] = Field(default_factory=list)
    terrain: str = Field(default="flat", description="'dem:<path>' or 'flat' (no DEM: flat ground)")


def write_ready_json(path: Path, info: ReadyInfo) -> None:
    """Writes atomically (temp file + rename), so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(info.model_dump(mode="json"), handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_ready_json(path: Path) -> ReadyInfo:
    return ReadyInfo.model_validate_json(path.read_text(encoding="utf-8"))


def default_ready_path() -> Path:
    """Where ``sim run`` writes and ``sim fault`` looks when no path is given."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(runtime) / "borderwatch" / "sim-ready.json"
