"""The CI lane runner (`scripts/pytest_lanes.py`) never turns a dead or failing lane into a green run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

RUNNER = REPO / "scripts" / "pytest_lanes.py"


def _lanes(tmp_path: Path, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    lanes = []
    for name, body in files.items():
        test_file = tmp_path / f"test_{name}.py"
        test_file.write_text(body)
        lanes += ["--lane", f"{name}={test_file}"]
    command = [sys.executable, str(RUNNER), *lanes, "--log-dir", str(tmp_path / "logs"), "--"]
    command += ["-q", f"--rootdir={tmp_path}", "-c", str(tmp_path / "pytest.ini")]
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_two_passing_lanes_pass_and_each_reports_its_own_summary(tmp_path: Path) -> None:
    result = _lanes(tmp_path, {"one": "def test_a():\n    pass\n", "two": "def test_b():\n    pass\n"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "one: passed; 1 passed" in result.stdout
    assert "two: passed; 1 passed" in result.stdout
    assert (tmp_path / "logs" / "pytest-lane-one.log").read_text().count("1 passed") == 1


def test_a_lane_killed_mid_run_fails_the_run_and_names_the_signal(tmp_path: Path) -> None:
    dies = "import os, signal\n\ndef test_dies():\n    os.kill(os.getpid(), signal.SIGKILL)\n"
    result = _lanes(tmp_path, {"fine": "def test_a():\n    pass\n", "dies": dies})
    assert result.returncode == 1, result.stdout
    assert "dies: FAILED: killed by SIGKILL" in result.stdout
    assert "fine: passed" in result.stdout


def test_a_failing_test_or_an_empty_lane_fails_the_run(tmp_path: Path) -> None:
    result = _lanes(tmp_path, {"bad": "def test_a():\n    assert 1 == 2\n", "empty": "x = 1\n"})
    assert result.returncode == 1, result.stdout
    assert "bad: FAILED: pytest exit status 1 (1 failed" in result.stdout
    assert "empty: FAILED: collected no tests" in result.stdout
