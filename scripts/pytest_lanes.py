"""The test suite as two ordinary pytest runs side by side ("lanes"), for a 2-core CI with a 25-minute budget.

Most of the slow tests wait on the wall clock: a browser waiting for a drone to land, a simulated link timing
out, PX4's protocol timers replayed at their real pace. Run one after another they take ~28 minutes while the
machine idles; two lanes overlap that waiting. Why not pytest-xdist: with two xdist workers a run once ended
after 1,046 of 1,216 tests without a word. Here every lane is a whole pytest session with its own summary and
exit status, its own temporary directory and cache; a lane that fails, dies from a signal or collects nothing
fails the run, by name.

    python scripts/pytest_lanes.py [--lane NAME=PATH[,PATH...]]... [-- PYTEST ARGS]

Without ``--lane`` the lanes are ``DEFAULT_LANES`` (balanced by measured durations, see there); a lane whose
paths start with ``!`` runs everything under ``tests`` except those paths.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parent.parent

# Measured with pytest --durations on this project's 2-core machine (2026-12-03, lanes side by side): the
# browser tests (~6 min) and the conformance scenarios against the PX4 traces (~5 min, mostly protocol timers
# at their real pace) take about as long as everything else together (~9.5 min).
_BROWSER_AND_CONFORMANCE = "tests/ui,tests/sim/conformance"
DEFAULT_LANES = (
    f"browser-and-conformance={_BROWSER_AND_CONFORMANCE}",
    f"the-rest=!{_BROWSER_AND_CONFORMANCE}",
)
# pytest's last line, with or without -q's missing "=" borders: "3 passed, 1 skipped in 2.51s (0:00:02)"
SUMMARY = re.compile(
    r"^=*\s*(?P<text>\S.*\b(passed|failed|errors?|skipped|no tests ran)\b.* in [\d.]+s\S*( \(.*\))?)\s*=*$"
)
NO_TESTS_COLLECTED = 5


@dataclass(frozen=True)
class Lane:
    name: str
    paths: tuple[str, ...]
    excluding: bool

    @classmethod
    def parse(cls, spec: str) -> Lane:
        name, sep, rest = spec.partition("=")
        if not sep or not name or not rest:
            raise argparse.ArgumentTypeError(f"a lane is NAME=PATH[,PATH...], not {spec!r}")
        excluding = rest.startswith("!")
        paths = tuple(p for p in rest.removeprefix("!").split(",") if p)
        if not paths:
            raise argparse.ArgumentTypeError(f"lane {name!r} names no path")
        return cls(name, paths, excluding)

    def pytest_paths(self) -> list[str]:
        if self.excluding:
            return ["tests", *(f"--ignore={p}" for p in self.paths)]
        return list(self.paths)


@dataclass
class LaneRun:
    lane: Lane
    process: subprocess.Popen[bytes]
    log_path: Path
    started: float
    summary: str = ""
    ended: float = 0.0


def _command(lane: Lane, pytest_args: list[str], temp: Path) -> list[str]:
    return [
        sys.executable, "-m", "pytest", *pytest_args, *lane.pytest_paths(),
        f"--basetemp={temp / lane.name}",  # never shared: pytest prunes other sessions' numbered dirs
        "-o", f"cache_dir={REPO / '.pytest_cache' / lane.name}",
    ]  # fmt: skip


def _relay(run: LaneRun, out: IO[str], lock: threading.Lock) -> None:
    """Copies a lane's output, line by line and prefixed with its name, to our stdout and its log."""
    assert run.process.stdout is not None
    with run.log_path.open("w", encoding="utf-8") as log:
        for raw in run.process.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            log.write(line + "\n")
            match = SUMMARY.match(line.strip())
            if match:
                run.summary = match.group("text")
            with lock:
                out.write(f"[{run.lane.name}] {line}\n")
                out.flush()
    run.process.wait()
    run.ended = time.monotonic()


def _verdict(run: LaneRun) -> str | None:
    """Why this lane fails the run, or None when it passed."""
    code = run.process.returncode
    if code == 0:
        return None
    if code < 0:
        return f"killed by {signal.Signals(-code).name}: its output ends at {run.log_path}"
    if code == NO_TESTS_COLLECTED:
        return "collected no tests"
    return f"pytest exit status {code} ({run.summary or 'no summary line'})"


def run_lanes(lanes: list[Lane], pytest_args: list[str], log_dir: Path) -> int:
    log_dir.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="borderwatch-lanes-") as temp_dir:
        runs: list[LaneRun] = []
        relays: list[threading.Thread] = []
        for lane in lanes:
            process = subprocess.Popen(
                _command(lane, pytest_args, Path(temp_dir)),
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            run = LaneRun(lane, process, log_dir / f"pytest-lane-{lane.name}.log", time.monotonic())
            runs.append(run)
            relay = threading.Thread(target=_relay, args=(run, sys.stdout, lock), daemon=True)
            relay.start()
            relays.append(relay)

        def forward(signum: int, _frame: object) -> None:
            for run in runs:
                if run.process.poll() is None:
                    run.process.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        for relay in relays:
            relay.join()

    print("\n==== lanes ====")
    failed = False
    for run in runs:
        reason = _verdict(run)
        failed = failed or reason is not None
        status = (
            f"passed; {run.summary}" if reason is None else f"FAILED: {reason}"
        )  # the reason has the summary
        took = run.ended - run.started
        print(f"{run.lane.name}: {status}; {took / 60:.1f} min; log {run.log_path}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lane", action="append", type=Lane.parse, help="NAME=PATH[,PATH...] (repeatable)")
    parser.add_argument("--log-dir", type=Path, default=REPO / "artifacts")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to every lane")
    args = parser.parse_args(argv)
    lanes = args.lane or [Lane.parse(spec) for spec in DEFAULT_LANES]
    names = [lane.name for lane in lanes]
    if len(set(names)) != len(names):
        parser.error(f"lane names must differ: {names}")
    pytest_args = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return run_lanes(lanes, pytest_args, args.log_dir)


if __name__ == "__main__":
    sys.exit(main())
