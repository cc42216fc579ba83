"""``borderwatch mission ...``: exit codes 0/1/2, --json, survey, convert, profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch_cli.main import app
from missions.formats.qgc_plan import dump_plan, load_plan
from missions.model import AltFrame, HomePosition, Waypoint

from .conftest import route

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, ridge_dem_path: Path) -> dict[str, str]:
    """The shipped region over the analytic DEM, with an empty user data directory."""
    data = tmp_path / "data"
    data.mkdir()
    return {
        "BORDERWATCH_DATA": str(data),
        "BORDERWATCH_REGION": "jesenik-nysa",
        "BORDERWATCH_DEM": str(ridge_dem_path),
    }


def write_plan(path: Path, mission: object) -> Path:
    path.write_text(json.dumps(dump_plan(mission)))  # type: ignore[arg-type]
    return path


def invoke(args: list[str], env: dict[str, str], dem: Path) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--dem", str(dem)], env=env)
    return result.exit_code, result.output


def test_validate_legal_mission_exits_0(tmp_path: Path, env: dict[str, str], ridge_dem_path: Path) -> None:
    plan = write_plan(tmp_path / "ok.plan", route([(17.103, 50.20)], 80, AltFrame.AGL))
    code, output = invoke(["mission", "validate", str(plan)], env, ridge_dem_path)
    assert code == 0, output
    assert "LEGAL: 0 error(s)" in output


def test_validate_illegal_mission_exits_1_with_json(
    tmp_path: Path, env: dict[str, str], ridge_dem_path: Path
) -> None:
    home = HomePosition(lon=17.180, lat=50.230)
    plan = write_plan(tmp_path / "heliport.plan", route([(17.205, 50.230)], 80, AltFrame.AGL, home=home))
    code, output = invoke(["mission", "validate", str(plan), "--json"], env, ridge_dem_path)
    assert code == 1
    body = json.loads(output[output.index("{") :])
    assert body["ok"] is False
    hit = next(v for v in body["violations"] if v["zone_id"] == "BWX-CZ-HEMS-JESENIK")
    assert (
        hit["severity"] == "ERROR"
        and hit["rule_id"] == "zones"
        and set(hit["messages"]) == {"en", "cs", "pl"}
    )


def test_validate_at_time_and_language(tmp_path: Path, env: dict[str, str], ridge_dem_path: Path) -> None:
    home = HomePosition(lon=17.180, lat=50.230)
    plan = write_plan(tmp_path / "heliport.plan", route([(17.205, 50.230)], 80, AltFrame.AGL, home=home))
    code, output = invoke(
        ["mission", "validate", str(plan), "--at", "2026-07-01T08:00:00Z", "--lang", "pl"],
        env,
        ridge_dem_path,
    )
    assert code == 1 and "strefy zakazanej" in output
    code, output = invoke(["mission", "validate", str(plan), "--at", "yesterday"], env, ridge_dem_path)
    assert code == 2 and "ISO 8601" in output


def test_validate_unreadable_input_exits_2(tmp_path: Path, env: dict[str, str], ridge_dem_path: Path) -> None:
    broken = tmp_path / "broken.plan"
    broken.write_text('{"fileType": "Plan", "mission": {"items": [{"type": "SimpleItem", "command": "x"}]}}')
    code, output = invoke(["mission", "validate", str(broken)], env, ridge_dem_path)
    assert code == 2 and "$.mission.items[0].command" in output and "Traceback" not in output
    code, output = invoke(["mission", "validate", str(tmp_path / "missing.plan")], env, ridge_dem_path)
    assert code == 2


def test_survey_command_writes_a_terrain_following_plan(
    tmp_path: Path, env: dict[str, str], ridge_dem_path: Path
) -> None:
    area = tmp_path / "area.geojson"
    ring = [[17.10, 50.20], [17.106, 50.20], [17.106, 50.203], [17.10, 50.203], [17.10, 50.20]]
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}))
    out = tmp_path / "survey.plan"
    code, output = invoke(
        ["mission", "survey", "--area", str(area), "--alt-agl", "80", "--spacing", "60", "-o", str(out)],
        env,
        ridge_dem_path,
    )
    assert code == 0, output
    mission = load_plan(out)
    points = [i for i in mission.items if isinstance(i, Waypoint)]
    assert len(points) == 2 * 6 and all(p.alt_frame is AltFrame.AMSL and p.agl_intent_m == 80 for p in points)
    assert all(p.alt_m == pytest.approx(380.0, abs=0.5) for p in points)  # 300 m plain + 80 m
    bad = tmp_path / "bad.geojson"
    bowtie = [[17.1, 50.2], [17.2, 50.3], [17.2, 50.2], [17.1, 50.3], [17.1, 50.2]]
    bad.write_text(json.dumps({"type": "Polygon", "coordinates": [bowtie]}))
    code, output = invoke(
        ["mission", "survey", "--area", str(bad), "--alt-agl", "80", "-o", str(out)], env, ridge_dem_path
    )
    assert code == 2 and "Self-intersection" in output


def test_convert_and_profile(tmp_path: Path, env: dict[str, str], ridge_dem_path: Path) -> None:
    plan = write_plan(tmp_path / "m.plan", route([(17.103, 50.20)], 80, AltFrame.AGL))
    for target in ("m.geojson", "m.kml", "m.waypoints"):
        result = runner.invoke(app, ["mission", "convert", str(plan), str(tmp_path / target)], env=env)
        assert result.exit_code == 0, result.output
    assert (
        "lossy"
        in runner.invoke(app, ["mission", "convert", str(plan), str(tmp_path / "x.kml")], env=env).output
    )
    back = runner.invoke(
        app, ["mission", "convert", str(tmp_path / "m.geojson"), str(tmp_path / "again.plan")], env=env
    )
    assert back.exit_code == 0 and load_plan(tmp_path / "again.plan") == load_plan(plan)
    wrong = runner.invoke(app, ["mission", "convert", str(plan), str(tmp_path / "m.docx")], env=env)
    assert wrong.exit_code == 2
    code, _output = invoke(
        ["mission", "profile", str(plan), "--png", str(tmp_path / "p.png")], env, ridge_dem_path
    )
    assert code == 0 and (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.timeout(60)
def test_console_script_runs(tmp_path: Path, env: dict[str, str], ridge_dem_path: Path) -> None:
    plan = write_plan(tmp_path / "ok.plan", route([(17.103, 50.20)], 80, AltFrame.AGL))
    script = Path(sys.executable).parent / "borderwatch"
    result = subprocess.run(
        [str(script), "mission", "validate", str(plan), "--json", "--dem", str(ridge_dem_path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
