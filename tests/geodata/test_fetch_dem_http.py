"""Copernicus GLO-30 fetcher against a loopback HTTP server that serves COG tiles with Range support."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from geodata.errors import InputError
from geodata.fetch_dem import (
    FetchError,
    FetchProgress,
    TileName,
    TileStatus,
    fetch_copernicus_glo30,
    glo30_tiles,
)
from geodata.terrain import TerrainQuality, open_dem_files, write_dem_geotiff

pytestmark = pytest.mark.timeout(60)

REGION_BBOX = (16.8, 50.0, 17.8, 50.7)
KEY_E016 = "Copernicus_DSM_COG_10_N50_00_E016_00_DEM/Copernicus_DSM_COG_10_N50_00_E016_00_DEM.tif"
KEY_E017 = "Copernicus_DSM_COG_10_N50_00_E017_00_DEM/Copernicus_DSM_COG_10_N50_00_E017_00_DEM.tif"


def plane_z(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray:
    return np.asarray(200.0 + 100.0 * (np.asarray(lon) - 17.0) + 50.0 * (np.asarray(lat) - 50.0))


def cog_tile_bytes(tmp_path: Path, lat_floor: int, lon_floor: int) -> bytes:
    """A 1x1 degree COG of an analytic plane, as the bucket would hold it (but 120 px, not 3600)."""
    size = 120
    pixel = 1.0 / size
    lon = lon_floor + (np.arange(size) + 0.5) * pixel
    lat = lat_floor + 1 - (np.arange(size) + 0.5) * pixel
    values = plane_z(lon[np.newaxis, :], lat[:, np.newaxis]).astype(np.float32)
    path = write_dem_geotiff(
        tmp_path / f"src_{lat_floor}_{lon_floor}.tif",
        values,
        (pixel, 0, float(lon_floor), 0, -pixel, float(lat_floor + 1)),
        cloud_optimised=True,
    )
    return path.read_bytes()


@dataclass
class TileServer:
    """Serves ``objects`` by key; honours ``Range: bytes=N-``; can cut a transfer or ignore ranges."""

    objects: dict[str, bytes]
    cut_after: dict[str, int] = field(default_factory=dict)
    ignore_range: bool = False
    requests: list[tuple[str, str | None]] = field(default_factory=list)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                key = self.path.lstrip("/")
                range_header = self.headers.get("Range")
                server.requests.append((key, range_header))
                body = server.objects.get(key)
                if body is None:
                    self.send_error(404, "NoSuchKey")
                    return
                start = 0
                if range_header and not server.ignore_range:
                    start = int(range_header.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                part = body[start:]
                self.send_header("Content-Length", str(len(part)))
                self.send_header("Content-Type", "image/tiff")
                self.end_headers()
                cut = server.cut_after.pop(key, None)
                if cut is not None:
                    self.wfile.write(part[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(part)

        return Handler


StartServer = Callable[[TileServer], str]


@pytest.fixture
def serve() -> Iterator[StartServer]:
    servers: list[ThreadingHTTPServer] = []

    def start(tiles: TileServer) -> str:
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), tiles.handler())
        servers.append(httpd)
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        host, port = httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def region_tiles(tmp_path: Path) -> dict[str, bytes]:
    return {KEY_E016: cog_tile_bytes(tmp_path, 50, 16), KEY_E017: cog_tile_bytes(tmp_path, 50, 17)}


def test_tile_names_follow_the_bucket() -> None:
    assert [t.key for t in glo30_tiles(REGION_BBOX)] == [KEY_E016, KEY_E017]
    assert TileName(-1, -1).stem == "Copernicus_DSM_COG_10_S01_00_W001_00_DEM"
    assert [t.stem for t in glo30_tiles((17.0, 50.0, 18.0, 51.0))] == [
        "Copernicus_DSM_COG_10_N50_00_E017_00_DEM"
    ]
    with pytest.raises(InputError, match="bbox"):
        glo30_tiles((17.8, 50.0, 16.8, 50.7))
    with pytest.raises(InputError, match="more than the limit"):
        glo30_tiles((0.0, 0.0, 20.0, 20.0))


def test_fetches_the_region_and_then_uses_the_cache(
    tmp_path: Path,
    serve: StartServer,
    region_tiles: dict[str, bytes],
) -> None:
    tiles = TileServer(dict(region_tiles))
    base_url = serve(tiles)
    cache = tmp_path / "cache"
    events: list[FetchProgress] = []
    paths = fetch_copernicus_glo30(REGION_BBOX, cache, base_url=base_url, progress=events.append)
    assert paths == [cache / KEY_E016, cache / KEY_E017]
    assert [p.read_bytes() for p in paths] == [region_tiles[KEY_E016], region_tiles[KEY_E017]]
    done = [e for e in events if e.status is TileStatus.DONE]
    assert [(e.tile_index, e.tile_count, e.bytes_done) for e in done] == [
        (0, 2, len(region_tiles[KEY_E016])),
        (1, 2, len(region_tiles[KEY_E017])),
    ]
    assert all(e.bytes_total == e.bytes_done for e in done)
    # The fetched tiles are usable terrain, recognised as Copernicus GLO-30 (precise, 4 m).
    terrain = open_dem_files(paths)
    sample = terrain.sample([16.9, 17.5], [50.3, 50.6])
    np.testing.assert_allclose(sample.elevation_amsl_m, plane_z([16.9, 17.5], [50.3, 50.6]), atol=1e-3)
    assert sample.worst_quality is TerrainQuality.PRECISE and sample.worst_accuracy_m == 4.0
    # Second run: nothing requested, everything cached.
    requests_before = len(tiles.requests)
    events.clear()
    assert fetch_copernicus_glo30(REGION_BBOX, cache, base_url=base_url, progress=events.append) == paths
    assert len(tiles.requests) == requests_before
    assert [e.status for e in events] == [TileStatus.CACHED, TileStatus.CACHED]


def test_interrupted_download_resumes_with_a_range_request(
    tmp_path: Path,
    serve: StartServer,
    region_tiles: dict[str, bytes],
) -> None:
    tiles = TileServer(dict(region_tiles), cut_after={KEY_E017: 1500})
    base_url = serve(tiles)
    cache = tmp_path / "cache"
    with pytest.raises(FetchError, match="run again to resume"):
        fetch_copernicus_glo30(REGION_BBOX, cache, base_url=base_url)
    part = cache / (KEY_E017 + ".part")
    assert part.stat().st_size == 1500
    assert not (cache / KEY_E017).exists()
    paths = fetch_copernicus_glo30(REGION_BBOX, cache, base_url=base_url)
    assert tiles.requests[-1] == (KEY_E017, "bytes=1500-")
    assert (cache / KEY_E017).read_bytes() == region_tiles[KEY_E017]
    assert not part.exists()
    assert len(paths) == 2


def test_missing_tiles_are_reported_not_fatal(
    tmp_path: Path,
    serve: StartServer,
    region_tiles: dict[str, bytes],
) -> None:
    base_url = serve(TileServer({KEY_E017: region_tiles[KEY_E017]}))
    events: list[FetchProgress] = []
    paths = fetch_copernicus_glo30(
        (17.5, 50.2, 18.5, 50.4), tmp_path, base_url=base_url, progress=events.append
    )
    assert paths == [tmp_path / KEY_E017]
    missing = [e.tile for e in events if e.status is TileStatus.MISSING]
    assert missing == ["Copernicus_DSM_COG_10_N50_00_E018_00_DEM"]


def test_server_that_ignores_range_restarts_the_part(
    tmp_path: Path,
    serve: StartServer,
    region_tiles: dict[str, bytes],
) -> None:
    tiles = TileServer({KEY_E017: region_tiles[KEY_E017]}, ignore_range=True)
    base_url = serve(tiles)
    part = tmp_path / (KEY_E017 + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes from an older object")
    fetch_copernicus_glo30((17.2, 50.2, 17.4, 50.4), tmp_path, base_url=base_url)
    assert tiles.requests == [(KEY_E017, f"bytes={len(b'stale bytes from an older object')}-")]
    assert (tmp_path / KEY_E017).read_bytes() == region_tiles[KEY_E017]


def test_complete_part_is_finished_on_416(
    tmp_path: Path,
    serve: StartServer,
    region_tiles: dict[str, bytes],
) -> None:
    base_url = serve(TileServer({KEY_E017: region_tiles[KEY_E017]}))
    part = tmp_path / (KEY_E017 + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(region_tiles[KEY_E017])
    assert fetch_copernicus_glo30((17.2, 50.2, 17.4, 50.4), tmp_path, base_url=base_url) == [
        tmp_path / KEY_E017
    ]
    assert (tmp_path / KEY_E017).read_bytes() == region_tiles[KEY_E017]


def test_error_page_is_never_cached(tmp_path: Path, serve: StartServer) -> None:
    base_url = serve(TileServer({KEY_E017: b"<html><body>Captive portal: please log in</body></html>"}))
    with pytest.raises(FetchError, match="did not return a GeoTIFF"):
        fetch_copernicus_glo30((17.2, 50.2, 17.4, 50.4), tmp_path, base_url=base_url)
    assert not (tmp_path / KEY_E017).exists()
    assert not (tmp_path / (KEY_E017 + ".part")).exists()


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match="cannot reach"):
        fetch_copernicus_glo30(
            (17.2, 50.2, 17.4, 50.4), tmp_path, base_url=f"http://127.0.0.1:{port}", timeout_s=5
        )
