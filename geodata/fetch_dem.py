"""Downloads Copernicus DEM GLO-30 tiles (public Cloud-Optimised GeoTIFFs) into a local cache.

A network edge module: the pure library never imports it; the CLI (`borderwatch geodata fetch-dem`) does.
Downloads are resumable (HTTP Range on a ``.part`` file) and a tile only gets its final name once it is
complete, so a cached tile is always whole. Tiles the bucket does not have (open sea) are reported, not
failed on.
"""

from __future__ import annotations

import math
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from geodata.errors import GeodataError, InputError, Problem

DEFAULT_BASE_URL = "https://copernicus-dem-30m.s3.amazonaws.com"
"""The public AWS Open Data bucket of Copernicus DEM GLO-30 (s3://copernicus-dem-30m, no sign-in)."""
BASE_URL_ENV = "BORDERWATCH_COPERNICUS_BASE_URL"
"""Environment variable the CLI reads to point at a mirror (or a local test server)."""
DEFAULT_MAX_TILES = 64
_CHUNK_BYTES = 1 << 20
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


class FetchError(GeodataError):
    """A tile could not be downloaded; what was already received stays in the cache for a resume."""


class TileStatus(StrEnum):
    CACHED = "cached"  # already complete in the cache, nothing downloaded
    DOWNLOADING = "downloading"  # bytes arriving (repeated)
    DONE = "done"  # completed now
    MISSING = "missing"  # the bucket has no such tile (sea, outside the product)


@dataclass(frozen=True)
class FetchProgress:
    """One progress event; the CLI turns these into a progress bar."""

    tile: str
    tile_index: int
    tile_count: int
    status: TileStatus
    bytes_done: int
    bytes_total: int | None


ProgressCallback = Callable[[FetchProgress], None]


@dataclass(frozen=True)
class TileName:
    """A GLO-30 tile, named as in the bucket by its south-west corner."""

    lat_floor: int
    lon_floor: int

    @property
    def stem(self) -> str:
        ns = "N" if self.lat_floor >= 0 else "S"
        ew = "E" if self.lon_floor >= 0 else "W"
        return f"Copernicus_DSM_COG_10_{ns}{abs(self.lat_floor):02d}_00_{ew}{abs(self.lon_floor):03d}_00_DEM"

    @property
    def key(self) -> str:
        """Object key in the bucket: ``<stem>/<stem>.tif``."""
        return f"{self.stem}/{self.stem}.tif"


def glo30_tiles(
    bbox: tuple[float, float, float, float], *, max_tiles: int = DEFAULT_MAX_TILES
) -> list[TileName]:
    """The 1x1 degree tiles that cover (min_lon, min_lat, max_lon, max_lat), south-west first."""
    min_lon, min_lat, max_lon, max_lat = bbox
    problems: list[Problem] = []
    if not all(math.isfinite(v) for v in bbox):
        problems.append(Problem("bbox", "all four values must be finite numbers"))
    elif not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        problems.append(
            Problem("bbox", f"{bbox} is not (min_lon, min_lat, max_lon, max_lat) with min < max in range")
        )
    if problems:
        raise InputError("<fetch-dem>", problems)
    lats = range(math.floor(min_lat), math.ceil(max_lat))
    lons = range(math.floor(min_lon), math.ceil(max_lon))
    if len(lats) * len(lons) > max_tiles:
        raise InputError(
            "<fetch-dem>",
            [Problem("bbox", f"needs {len(lats) * len(lons)} tiles, more than the limit of {max_tiles}")],
        )
    return [TileName(lat, lon) for lat in lats for lon in lons]


def base_url_from_env(default: str = DEFAULT_BASE_URL) -> str:
    return os.environ.get(BASE_URL_ENV, default)


def fetch_copernicus_glo30(
    bbox: tuple[float, float, float, float],
    cache_dir: str | Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    progress: ProgressCallback | None = None,
    timeout_s: float = 60.0,
    max_tiles: int = DEFAULT_MAX_TILES,
) -> list[Path]:
    """Downloads (or finds cached) every GLO-30 tile of ``bbox``; returns the local paths of those that exist.

    The cache mirrors the bucket: ``cache_dir/<stem>/<stem>.tif``.
    """
    tiles = glo30_tiles(bbox, max_tiles=max_tiles)
    root = Path(cache_dir)
    report = progress or (lambda _event: None)
    paths: list[Path] = []
    for index, tile in enumerate(tiles):
        target = root / tile.key
        if target.is_file() and target.stat().st_size > 0:
            size = target.stat().st_size
            report(FetchProgress(tile.stem, index, len(tiles), TileStatus.CACHED, size, size))
            paths.append(target)
            continue
        url = f"{base_url.rstrip('/')}/{tile.key}"
        if _download(url, target, tile.stem, index, len(tiles), report, timeout_s):
            paths.append(target)
    return paths


def _download(
    url: str, target: Path, stem: str, index: int, count: int, report: ProgressCallback, timeout_s: float
) -> bool:
    """Fetches one tile into ``target`` (resuming ``target.part``); False if the bucket has no such tile."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 404:
            report(FetchProgress(stem, index, count, TileStatus.MISSING, 0, None))
            return False
        if exc.code == 416 and have:
            # The part file is at least as long as the object: it may be complete. Start over if not.
            total = _total_from_content_range(exc.headers.get("Content-Range"))
            if total is not None and total == have:
                _finish(part, target, stem, url)
                report(FetchProgress(stem, index, count, TileStatus.DONE, have, have))
                return True
            part.unlink()
            return _download(url, target, stem, index, count, report, timeout_s)
        raise FetchError(f"{stem}: HTTP {exc.code} {exc.reason} from {url}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise FetchError(f"{stem}: cannot reach {url}: {reason}") from None

    with response:
        if response.status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range"), stem, url)
            if start != have:
                raise FetchError(f"{stem}: server resumed at byte {start}, expected {have} ({url})")
            mode = "ab"
        else:
            # 200: the whole object (the server ignored or was not sent a Range): start the part over.
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            have = 0
            mode = "wb"
        done = have
        report(FetchProgress(stem, index, count, TileStatus.DOWNLOADING, done, total))
        try:
            with part.open(mode) as sink:
                while chunk := response.read(_CHUNK_BYTES):
                    sink.write(chunk)
                    done += len(chunk)
                    report(FetchProgress(stem, index, count, TileStatus.DOWNLOADING, done, total))
        except OSError as exc:
            raise FetchError(
                f"{stem}: download interrupted after {done} bytes ({exc}); run again to resume"
            ) from None
    if total is not None and done != total:
        raise FetchError(f"{stem}: got {done} of {total} bytes from {url}; run again to resume")
    _finish(part, target, stem, url)
    report(FetchProgress(stem, index, count, TileStatus.DONE, done, total))
    return True


def _finish(part: Path, target: Path, stem: str, url: str) -> None:
    """Only a TIFF gets the final name: an HTML error page from a proxy must not poison the cache."""
    with part.open("rb") as source:
        magic = source.read(4)
    if magic not in _TIFF_MAGICS:
        part.unlink()
        raise FetchError(f"{stem}: {url} did not return a GeoTIFF (starts with {magic!r}); nothing cached")
    part.replace(target)


def _total_from_content_range(value: str | None) -> int | None:
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def _parse_content_range(value: str | None, stem: str, url: str) -> tuple[int, int | None]:
    """``bytes START-END/TOTAL`` -> (START, TOTAL or None when the server says ``*``)."""
    try:
        unit, spec = (value or "").split(" ", 1)
        span, total = spec.split("/", 1)
        start = int(span.split("-", 1)[0])
        if unit != "bytes":
            raise ValueError(unit)
    except ValueError:
        raise FetchError(f"{stem}: bad Content-Range {value!r} from {url}") from None
    return start, int(total) if total.strip().isdigit() else None
