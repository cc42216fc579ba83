"""The user data directory: zones the user imported, DEMs they fetched (design contract 3).

``BORDERWATCH_DATA`` names it; otherwise ``$XDG_DATA_HOME/borderwatch`` (``~/.local/share/borderwatch``).
Imported zone files are kept byte for byte as the authority published them, next to a small record of
how they were imported, so nothing is lost in a conversion and a re-import of the same file name
replaces the older copy (authorities republish their whole data set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, InputError, Problem

ENV_DATA = "BORDERWATCH_DATA"
IMPORT_RECORD_SUFFIX = ".import.json"
_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``BORDERWATCH_DATA``, else the XDG data home's ``borderwatch`` folder."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_DATA)
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "borderwatch"


class ImportRecord(BaseModel):
    """How one stored zone file was imported; read back to parse it the same way."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    file: str
    format: str | None
    original_path: str
    imported_at: datetime
    zones_imported: int
    zones_rejected: int
    max_bytes: int = DEFAULT_MAX_INPUT_BYTES
    """The size limit the import was made with, so a reload accepts the same file."""
    coverage_bbox: tuple[float, float, float, float] | None = None
    """lon_min, lat_min, lon_max, lat_max the file is complete for: declared at import (``--coverage``) or
    computed from its zones. Missions there are checked against it; outside every coverage they are not
    legal (design contract 18). None in records written before coverage was recorded (computed on load)."""
    coverage_declared: bool = False


@dataclass(frozen=True)
class ImportedZoneFile:
    path: Path
    record: ImportRecord


@dataclass(frozen=True)
class UserData:
    """One user data directory. Nothing is created until something is written."""

    root: Path

    @classmethod
    def from_env(
        cls, data_dir: str | Path | None = None, environ: Mapping[str, str] | None = None
    ) -> UserData:
        return cls(Path(data_dir).expanduser() if data_dir is not None else default_data_dir(environ))

    @property
    def dem_dir(self) -> Path:
        return self.root / "dem"

    @property
    def copernicus_cache_dir(self) -> Path:
        """Where ``borderwatch geodata fetch-dem`` caches Copernicus GLO-30 tiles (shared by all regions)."""
        return self.dem_dir / "copernicus-glo30"

    def zones_dir(self, region_name: str) -> Path:
        return self.root / "regions" / region_name / "zones"

    def imported_zone_files(self, region_name: str) -> list[ImportedZoneFile]:
        """Stored imports of a region in name order; a damaged record is an error naming its file."""
        folder = self.zones_dir(region_name)
        if not folder.is_dir():
            return []
        files: list[ImportedZoneFile] = []
        for record_path in sorted(folder.glob("*" + IMPORT_RECORD_SUFFIX)):
            try:
                record = ImportRecord.model_validate_json(record_path.read_bytes())
            except (ValidationError, OSError) as exc:
                raise InputError(
                    str(record_path), [Problem("$", f"unreadable import record: {exc}")]
                ) from None
            data_path = folder / record.file
            if not data_path.is_file():
                raise InputError(
                    str(record_path), [Problem("$.file", f"the imported file {record.file} is missing")]
                )
            files.append(ImportedZoneFile(data_path, record))
        return files

    def store_import(
        self,
        region_name: str,
        source: Path,
        *,
        format_name: str | None,
        zones_imported: int,
        zones_rejected: int,
        max_bytes: int = DEFAULT_MAX_INPUT_BYTES,
        coverage_bbox: tuple[float, float, float, float] | None = None,
        coverage_declared: bool = False,
    ) -> ImportedZoneFile:
        """Copies an already validated file into the region's zone folder and records how it was read."""
        folder = self.zones_dir(region_name)
        folder.mkdir(parents=True, exist_ok=True)
        stored_name = _SLUG_UNSAFE.sub("_", source.name).lstrip(".") or "zones"
        if stored_name.endswith(IMPORT_RECORD_SUFFIX):
            stored_name += ".data"
        target = folder / stored_name
        partial = folder / (stored_name + ".partial")
        shutil.copyfile(source, partial)
        os.replace(partial, target)
        record = ImportRecord(
            file=stored_name,
            format=format_name,
            original_path=str(source.resolve()),
            imported_at=datetime.now(UTC),
            zones_imported=zones_imported,
            zones_rejected=zones_rejected,
            max_bytes=max_bytes,
            coverage_bbox=coverage_bbox,
            coverage_declared=coverage_declared,
        )
        record_path = folder / (stored_name + IMPORT_RECORD_SUFFIX)
        partial_record = folder / (stored_name + IMPORT_RECORD_SUFFIX + ".partial")
        partial_record.write_text(
            json.dumps(record.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8"
        )
        os.replace(partial_record, record_path)  # a reader sees the old record or the new one, never half
        return ImportedZoneFile(target, record)

    def remove_import(self, region_name: str, stored_name: str) -> bool:
        """Deletes one stored import (by its stored file name); False when there is none of that name."""
        folder = self.zones_dir(region_name)
        target = folder / stored_name
        record_path = folder / (stored_name + IMPORT_RECORD_SUFFIX)
        if not record_path.is_file() or target.parent != folder:
            return False
        record_path.unlink()
        target.unlink(missing_ok=True)
        return True
