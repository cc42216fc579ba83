"""`borderwatch zones|terrain|geodata …`: the geodata commands as a person runs them."""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from geodata.cli import ExitCode, register
from tests.geodata.ed269_samples import ed269_circle_zone
from tests.synthetic_dem import write_lonlat_dem

REPO = Path(__file__).resolve().parents[2]
SHARED_ED269 = Path("zones") / "ed269" / "interuss_dss_geo-awareness-che-1.ed269.json"


def plane_elevation(lon: float, lat: float) -> float:
    return 300.0 + 100.0 * (lon - 16.0) + 400.0 * (lat - 50.0)


def write_plane_tile(
    path: Path, west: float, north: float, *, size: int = 100, accuracy_m: float | None = 2.0
) -> Path:
    """A 1x1 degree GeoTIFF of ``plane_elevation``: exact under bilinear sampling."""
    return write_lonlat_dem(
        path,
        plane_elevation,
        west=west,
        north=north,
        step=1.0 / size,
        cols=size,
        rows=size,
        accuracy_m=accuracy_m,
    )


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer(pretty_exceptions_enable=False)
    register(application)
    return application


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (
        "BORDERWATCH_DEM",
        "BORDERWATCH_DEM_ACCURACY_M",
        "BORDERWATCH_REGION",
        "BORDERWATCH_COPERNICUS_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("BORDERWATCH_DATA", str(data))
    return data


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_info_summarises_the_region_and_says_how_to_get_terrain(app: typer.Typer, data_dir: Path) -> None:
    code, out, _ = run(app, "geodata", "info")
    assert code == ExitCode.OK
    assert "jesenik-nysa" in out and "PROHIBITED 2" in out and "CZE Czechia" in out
    assert "NO TERRAIN" in out and "fetch-dem" in out and "NOT FOR OPERATIONAL USE" in out
    code, out, _ = run(app, "geodata", "info", "--json")
    info = json.loads(out)
    assert info["terrain"]["quality"] == "unknown" and info["zones"]["total"] >= 10
    assert len(info["cameras"]) >= 5


def test_zones_at_reports_the_airfield_zones_in_text_and_json(app: typer.Typer, data_dir: Path) -> None:
    args = ["zones", "at", "17.2975", "50.3017", "--alt", "60", "--ref", "AGL", "--time", "2026-05-02T12:00Z"]
    code, out, _ = run(app, *args)
    assert code == ExitCode.OK
    assert "BWX-CZ-LKMI-AD" in out and "BWX-CZ-DZ-JESENIK" in out and "(CZE)" in out
    code, out, _ = run(app, *args, "--json")
    answer = json.loads(out)
    assert {z["identifier"] for z in answer["zones"]} == {"BWX-CZ-LKMI-AD", "BWX-CZ-DZ-JESENIK"}
    assert answer["terrain"]["quality"] == "unknown" and answer["country"] == "CZE"
    # a Wednesday: the weekend drop zone is not active
    code, out, _ = run(
        app,
        "zones",
        "at",
        "17.2975",
        "50.3017",
        "--alt",
        "60",
        "--ref",
        "AGL",
        "--time",
        "2026-05-06T12:00:00+00:00",
        "--json",
    )
    assert {z["identifier"] for z in json.loads(out)["zones"]} == {"BWX-CZ-LKMI-AD"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["zones", "at", "50.3", "17.3", "--alt", "60", "--ref", "AGL", "--time", "yesterday"], "ISO 8601"),
        (["zones", "at", "17.3", "95", "--alt", "60", "--ref", "AGL"], "not a lon/lat"),
        (["zones", "at", "17.3", "50.3", "--alt", "60", "--ref", "AGL", "--region", "atlantis"], "no region"),
    ],
)
def test_bad_arguments_give_a_message_not_a_traceback(
    app: typer.Typer, data_dir: Path, args: list[str], message: str
) -> None:
    code, out, err = run(app, *args)
    assert code != ExitCode.OK
    assert message in err and "Traceback" not in err + out


def test_terrain_elevation_without_dem_is_unknown_with_advice(app: typer.Typer, data_dir: Path) -> None:
    code, out, err = run(app, "terrain", "elevation", "17.2", "50.2")
    assert code == ExitCode.NO_TERRAIN and "unknown" in err and "fetch-dem" in err
    code, out, _ = run(app, "terrain", "elevation", "17.2", "50.2", "--json")
    answer = json.loads(out)
    assert (
        code == ExitCode.NO_TERRAIN and answer["elevation_amsl_m"] is None and answer["quality"] == "unknown"
    )


def test_terrain_elevation_with_dem_and_outside_its_coverage(
    app: typer.Typer, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dem = write_plane_tile(tmp_path / "tile.tif", 17.0, 51.0)
    monkeypatch.setenv("BORDERWATCH_DEM", str(dem))
    code, out, _ = run(app, "terrain", "elevation", "17.25", "50.25", "--json")
    answer = json.loads(out)
    assert code == ExitCode.OK and answer["quality"] == "precise" and answer["accuracy_m"] == 2.0
    assert answer["elevation_amsl_m"] == pytest.approx(plane_elevation(17.25, 50.25), abs=0.01)
    code, out, err = run(app, "terrain", "elevation", "16.9", "50.25")
    assert code == ExitCode.NO_TERRAIN and "no DEM of region jesenik-nysa covers 16.90000, 50.25000" in err


def test_zones_import_list_and_remove(app: typer.Typer, data_dir: Path, tmp_path: Path) -> None:
    zone = ed269_circle_zone("LKR123", "Test restricted area", (17.1, 50.3), 500, upper_m=500)
    bad = {**zone, "identifier": "BROKEN", "geometry": [{"horizontalProjection": {"type": "Circle"}}]}
    source = tmp_path / "authority.ed269.json"
    source.write_text(json.dumps({"title": "t", "features": [zone, bad]}), encoding="utf-8")

    code, out, err = run(app, "zones", "import", str(source), "--strict")
    assert code == ExitCode.FAILED and "features[1]" in err
    assert not (data_dir / "regions").exists(), "--strict with problems must store nothing"

    code, out, err = run(app, "zones", "import", str(source), "--format", "ed269")
    assert code == ExitCode.PARTIAL
    assert "imported 1 zone(s)" in out and "1 rejected" in out and "$.features[1]" in err

    code, out, _ = run(app, "zones", "list")
    assert code == ExitCode.OK and "LKR123" in out and "# imported" in out
    code, out, _ = run(app, "zones", "at", "17.1", "50.3", "--alt", "20", "--ref", "AGL", "--json")
    assert "LKR123" in {z["identifier"] for z in json.loads(out)["zones"]}

    code, out, _ = run(app, "zones", "remove", "authority.ed269.json")
    assert code == ExitCode.OK
    code, out, _ = run(app, "zones", "list", "--json")
    assert "LKR123" not in {z["identifier"] for z in json.loads(out)["zones"]}
    code, _, err = run(app, "zones", "remove", "authority.ed269.json")
    assert code == ExitCode.FAILED and "no imported zone file" in err


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b'{"title": "t", "features": [', "line 1"),
        (b"\x00\xff\xfe garbage", ""),
    ],
)
def test_zones_import_of_a_broken_file_fails_cleanly(
    app: typer.Typer, data_dir: Path, tmp_path: Path, content: bytes, where: str
) -> None:
    source = tmp_path / "broken.json"
    source.write_bytes(content)
    code, out, err = run(app, "zones", "import", str(source), "--format", "ed269")
    assert code == ExitCode.FAILED and str(source) in err and where in err
    assert "Traceback" not in out + err


def test_zones_import_of_a_missing_file_fails_cleanly(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    code, _out, err = run(app, "zones", "import", str(tmp_path / "nope.json"))
    assert code == ExitCode.FAILED and "nope.json" in err


def test_zones_import_of_the_shared_ed269_sample(app: typer.Typer, data_dir: Path, shared_data: Path) -> None:
    code, out, err = run(app, "zones", "import", str(shared_data / SHARED_ED269))
    assert code in (ExitCode.OK, ExitCode.PARTIAL), err
    assert "imported 6 zone(s)" in out


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def cog_server(tmp_path: Path) -> Iterator[str]:
    """Serves two Copernicus-named analytic tiles over loopback, laid out like the public bucket."""
    root = tmp_path / "bucket"
    for lon in (16, 17):
        stem = f"Copernicus_DSM_COG_10_N50_00_E0{lon}_00_DEM"
        write_plane_tile(root / stem / f"{stem}.tif", float(lon), 51.0, accuracy_m=None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.timeout(60)
def test_fetch_dem_downloads_the_region_tiles_and_the_region_then_uses_them(
    app: typer.Typer, data_dir: Path, cog_server: str
) -> None:
    code, out, err = run(app, "geodata", "fetch-dem", "--base-url", cog_server)
    assert code == ExitCode.OK, err
    assert "cached 2 Copernicus GLO-30 tile(s)" in out and "terrain precise" in out
    cached = sorted((data_dir / "dem" / "copernicus-glo30").glob("*/*.tif"))
    assert len(cached) == 2
    code, out, _ = run(app, "terrain", "elevation", "17.25", "50.25", "--json")
    answer = json.loads(out)
    assert answer["quality"] == "precise" and answer["accuracy_m"] == 4.0  # the GLO-30 product accuracy
    assert answer["elevation_amsl_m"] == pytest.approx(plane_elevation(17.25, 50.25), abs=0.01)


@pytest.mark.timeout(60)
def test_fetch_dem_unreachable_server_fails_cleanly(app: typer.Typer, data_dir: Path) -> None:
    code, out, err = run(app, "geodata", "fetch-dem", "--base-url", "http://127.0.0.1:9")
    assert code == ExitCode.FAILED and "cannot reach" in err and "Traceback" not in out + err


@pytest.mark.timeout(120)
def test_installed_command_runs_without_traceback(data_dir: Path) -> None:
    exe = REPO / ".venv" / "bin" / "borderwatch"
    if not exe.exists():
        pytest.skip(f"{exe} not installed (run the README's setup command)")
    done = subprocess.run(
        [str(exe), "zones", "at", "17.2", "50.23", "--alt", "50", "--ref", "AGL"],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "BWX-CZ-TOWN-JESENIK" in done.stdout


def test_zones_import_of_the_czech_openair_file_finds_the_jesenik_drop_zone(
    app: typer.Typer, data_dir: Path, shared_data: Path
) -> None:
    openair = shared_data / "airspace" / "cz_sua" / "CZ_all_26-04-01.txt"
    code, out, err = run(app, "zones", "import", str(openair))
    assert code in (ExitCode.OK, ExitCode.PARTIAL), err
    code, out, _ = run(app, "zones", "at", "17.2975", "50.3017", "--alt", "500", "--ref", "AGL", "--json")
    names = {z["name"] for z in json.loads(out)["zones"]}
    assert any("Jesenik" in name and "DROPZONE" in name.upper() for name in names), names


def test_region_option_accepts_a_folder(app: typer.Typer, data_dir: Path, tmp_path: Path) -> None:
    import shutil

    from geodata.regions import REGIONS_DIR

    copy = tmp_path / "copy-of-region"
    shutil.copytree(REGIONS_DIR / "jesenik-nysa", copy)
    code, out, _ = run(app, "geodata", "info", "--region", str(copy), "--json")
    assert code == ExitCode.OK and json.loads(out)["name"] == "jesenik-nysa"


def test_zones_at_warns_about_approximate_terrain(
    app: typer.Typer, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dem = write_plane_tile(tmp_path / "coarse.tif", 17.0, 51.0, accuracy_m=50.0)
    monkeypatch.setenv("BORDERWATCH_DEM", str(dem))
    code, out, _ = run(app, "zones", "at", "17.2045", "50.2293", "--alt", "50", "--ref", "AGL")
    assert code == ExitCode.OK
    assert "terrain approximate ±50 m" in out and "BWX-CZ-TOWN-JESENIK" in out


def test_zones_import_refuses_a_file_over_the_size_limit(
    app: typer.Typer, data_dir: Path, tmp_path: Path
) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"title": "t", "features": [], "padding": "x" * 5000}), encoding="utf-8")
    code, out, err = run(app, "zones", "import", str(big), "--format", "ed269", "--max-bytes", "1000")
    assert code == ExitCode.FAILED and "limit of 1000 bytes" in err and "Traceback" not in out + err


def test_zones_at_compares_each_frame(
    app: typer.Typer, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jeseník town zone is 0-120 m AGL: AMSL altitudes are turned into AGL with the DEM under the point."""
    dem = write_plane_tile(tmp_path / "tile.tif", 17.0, 51.0)
    monkeypatch.setenv("BORDERWATCH_DEM", str(dem))
    lon, lat = 17.2045, 50.2293
    ground = plane_elevation(lon, lat)

    def zone_ids(alt: float, ref: str) -> set[str]:
        code, out, err = run(
            app, "zones", "at", str(lon), str(lat), "--alt", f"{alt:.1f}", "--ref", ref, "--json"
        )
        assert code == ExitCode.OK, err
        return {z["identifier"] for z in json.loads(out)["zones"] if not z["uncertain"]}

    assert "BWX-CZ-TOWN-JESENIK" in zone_ids(ground + 50.0, "AMSL")
    assert "BWX-CZ-TOWN-JESENIK" not in zone_ids(ground + 200.0, "AMSL")
    # WGS84 heights are ~44 m above AMSL here (EGM96 undulation): 150 m above the ellipsoid-ground is
    # about 106 m AGL, inside; 200 m is about 156 m AGL, outside.
    assert "BWX-CZ-TOWN-JESENIK" in zone_ids(ground + 150.0, "WGS84")
    assert "BWX-CZ-TOWN-JESENIK" not in zone_ids(ground + 200.0, "WGS84")


def test_terrain_tiles_are_written_as_png(
    app: typer.Typer, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dem = write_plane_tile(tmp_path / "tile.tif", 17.0, 51.0)
    monkeypatch.setenv("BORDERWATCH_DEM", str(dem))
    out_dir = tmp_path / "tiles"
    code, out, err = run(app, "terrain", "tiles", "--out", str(out_dir), "--zoom", "7-8", "--kind", "slope")
    assert code == ExitCode.OK, err
    pngs = sorted(out_dir.glob("*/*/*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    assert f"wrote {len(pngs)} slope tile(s)" in out
    code, _, err = run(app, "terrain", "tiles", "--out", str(out_dir), "--zoom", "9-3")
    assert code == ExitCode.USAGE and "--zoom" in err


def test_zones_import_records_its_coverage(app: typer.Typer, data_dir: Path, tmp_path: Path) -> None:
    """Issue 11.2: an import's declared (or computed) coverage is recorded with the data and extends the
    region's zone coverage, so missions there are checked and missions elsewhere are not legal."""
    import shapely

    from geodata.atlas import load_region

    zone = ed269_circle_zone("LSR1", "Zurich test zone", (8.54, 47.37), 500, upper_m=500)
    source = tmp_path / "swiss.ed269.json"
    source.write_text(json.dumps({"title": "t", "features": [zone]}), encoding="utf-8")
    code, _out, err = run(app, "zones", "import", str(source), "--coverage", "5.9,45.8,10.5,47.8")
    assert code == ExitCode.OK, err
    record = json.loads(next((data_dir / "regions").rglob("*.import.json")).read_text())
    assert record["coverage_bbox"] == [5.9, 45.8, 10.5, 47.8] and record["coverage_declared"] is True
    coverage = load_region("jesenik-nysa", data_dir=data_dir).coverage
    assert shapely.contains_xy(coverage.zones, 8.54, 47.37)  # declared by the import
    assert shapely.contains_xy(coverage.zones, 17.2, 50.3)  # the region's own manifest area
    assert not shapely.contains_xy(coverage.zones, 2.35, 48.85)  # Paris: nobody said
    assert not shapely.contains_xy(coverage.border, 8.54, 47.37)  # no border data for Switzerland
    assert any("swiss.ed269.json" in s for s in coverage.zone_sources)
    code, _out, err = run(app, "zones", "import", str(source), "--coverage", "10,50,9,51")
    assert code == ExitCode.USAGE and "--coverage" in err
