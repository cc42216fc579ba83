"""Ground-station throughput: N simulated vehicles at PX4 rates -> ingest + monitor -> 200 WebSocket
clients, each part in its own process.

    .venv/bin/python -m bench.bench_station [--counts 25,50] [--clients 200] [--mix pilot|all]
        [--position-hz HZ] [--deflate] [--repeat N] [--keep DIR]

Processes: the vehicles (``borderwatch sim run`` when it is installed, else ``bench.mavlink_fleet``
with the PX4 API-link message mix, ~400 frames/s per vehicle), the station (the real FastAPI app of
``ground_station.app`` under uvicorn, with link routers, MAVSDK sessions, monitor, store and telemetry
hub), and the WebSocket load generator (``bench.station_load``). Latency is measured per received frame
as receive time - the newest ``time_utc`` in it (the station's MAVLink receive time). Station CPU is
read from /proc over the measurement window. The baseline is 1 vehicle and 1 client, run first in the
same invocation; the figures are reported against it. The pass mark is p99 < 100 ms with no bus drops.
Each run also reports the event-loop lag (p99) of the station and of the load generator: a busy load
generator inflates the latencies it measures, so its lag says how far to trust them. The machine is
shared; repeat a run before believing a difference of less than ~30 %.

``--export-gap`` instead measures how long the WebSocket telemetry stream stalls while the largest
allowed mission (``missions.model.MAX_ITEMS`` waypoints) is exported as a ``.plan`` several times: one
vehicle, one WebSocket client, the gap between consecutive frames before and during the exports. With
the export on the event loop the gap grew to the export's duration; off the loop it stays near the
10 Hz frame interval. Measured on the shared 2-core machine (3 exports of ~0.7 s each, other jobs
running): max gap 118 ms before, 190 ms during; with the work merely moved to a thread it was
330-515 ms, because pydantic-core and ``json`` hold the GIL for a whole call (hence chunked parsing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BORDERWATCH = Path(PYTHON).with_name("borderwatch")
P99_PASS_MS = 100.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- station role (runs in its own process) ---------------------------------------------------------


async def _station(args: argparse.Namespace, vehicles: list[dict[str, str]]) -> None:
    import uvicorn

    from ground_station.app import create_app, fleet_links
    from ground_station.auth.roles import Role
    from ground_station.auth.users import create_user, generate_password
    from ground_station.bus.messages import LinkMsg
    from ground_station.config import AuthConfig, HttpConfig, StationSettings, StorageConfig, VehicleConfig
    from ground_station.store.models import Organisation

    workdir = Path(args.dir)
    settings = StationSettings(
        region="jesenik-nysa",
        data_dir=workdir / "data",
        vehicles=[VehicleConfig(slug=v["slug"], mavlink_url=v["mavlink_url"]) for v in vehicles],
        http=HttpConfig(port=args.http_port),
        storage=StorageConfig(tlog_dir=workdir / "tlogs"),
        auth=AuthConfig(jwt_secret_file=workdir / "secret"),
    )
    links_factory = fleet_links
    if args.position_hz is not None:  # the same vehicle layer as the service's, with another bus rate

        async def links_factory(settings: StationSettings, bus: Any, region: Any) -> Any:
            from ground_station.app import _CoreLinks
            from ground_station.links.router import RouterOptions
            from ground_station.vehicles.station import StationCore, StationVehicle

            options = RouterOptions(position_max_hz=args.position_hz or None)
            core = StationCore(
                [StationVehicle(v.slug, v.mavlink_url) for v in settings.vehicles],
                tlog_dir=settings.tlog_dir,
                region=region,
                bus=bus,
                router_options=options,
            )
            return _CoreLinks(core)

    app = create_app(settings, links_factory=links_factory)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=args.http_port,
            log_level="warning",
            lifespan="on",
            ws_per_message_deflate=args.deflate,
        )
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.1)
    context = app.state.context
    links = context.bus.subscribe("vehicle.*.link", maxsize=10_000)
    organisation = Organisation(
        settings.organisation.slug, settings.organisation.name, settings.organisation.country
    )
    user = await create_user(
        context.store.users,
        context.store.organisations,
        "bench",
        generate_password(),
        Role.COMMANDER,
        organisation,
    )
    ready = {"token": context.tokens.issue_access(user), "pid": os.getpid()}
    await asyncio.to_thread(Path(args.ready).write_text, json.dumps(ready))
    lags: list[float] = []
    sampler = _StallSampler() if os.environ.get("BENCH_STALLS") else None
    lag_task = asyncio.create_task(_loop_lag(lags, sampler=sampler))
    if sampler is not None:
        sampler.start()
    profile_to = os.environ.get("BENCH_STATION_PROFILE")
    profiler = None
    if profile_to:  # where the station's CPU goes: python -m pstats FILE
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    await asyncio.sleep(args.duration)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile_to}.{len(vehicles)}")
    latest: dict[str, LinkMsg] = {}
    for _, msg in links.drain():
        assert isinstance(msg, LinkMsg)
        latest[msg.vehicle_id] = msg
    stats = {
        "bus_dropped": {s.pattern: s.dropped for s in context.bus.subscriptions if s.dropped},
        "hub_clients": context.hub.client_count,
        "packets_received": sum(m.packets_received for m in latest.values()),
        "packets_bad": sum(m.packets_bad for m in latest.values()),
        "packets_lost": sum(m.packets_lost for m in latest.values()),
        "vehicles_connected": sum(1 for m in latest.values() if m.connected),
        "loop_lag_p99_ms": sorted(lags)[int(0.99 * len(lags))] * 1000 if lags else float("nan"),
    }
    lag_task.cancel()
    if sampler is not None:
        sampler.stop()
        for stack, count in sampler.samples.most_common(15):
            print(f"stall samples {count:5d}  {stack}", flush=True)
    await asyncio.to_thread(Path(args.stats).write_text, json.dumps(stats))
    server.should_exit = True
    await serving


class _StallSampler:
    """A thread that, whenever the event loop has not ticked for ``stall_s``, samples what the loop's
    thread is executing: the counts say which code holds the loop (BENCH_STALLS=1 prints them)."""

    def __init__(self, stall_s: float = 0.03) -> None:
        import collections
        import threading

        self.stall_s = stall_s
        self.last_tick = time.monotonic()
        self.samples: collections.Counter[str] = collections.Counter()
        self._loop_thread = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import traceback

        while not self._stop.wait(0.005):
            if time.monotonic() - self.last_tick < self.stall_s:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            stack = traceback.extract_stack(frame)
            ours = [f"{Path(f.filename).name}:{f.name}" for f in stack if "/work/" in f.filename][-3:]
            inner = f"{Path(stack[-1].filename).name}:{stack[-1].name}"
            self.samples[" > ".join([*ours, inner])] += 1


async def _loop_lag(out: list[float], period_s: float = 0.01, sampler: _StallSampler | None = None) -> None:
    """How late the station's event loop wakes up (a busy loop delays every frame)."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(period_s)
        out.append(time.perf_counter() - before - period_s)
        if sampler is not None:
            sampler.last_tick = time.monotonic()


# -- orchestration ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    vehicles: int
    clients: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    frames_per_s: float
    station_cpu_s_per_s: float
    errors: int
    bus_dropped: dict[str, int]
    packets_received: int
    vehicles_connected: int
    source: str
    station_loop_lag_p99_ms: float
    loadgen_loop_lag_p99_ms: float
    loadgen_cpu_s_per_s: float
    source_cpu_s_per_s: float
    """The vehicles' process: with both cores busy, the station's latency is the machine's, not its own."""

    @property
    def cpu_per_vehicle_pct(self) -> float:
        return 100.0 * self.station_cpu_s_per_s / max(1, self.vehicles)

    @property
    def passed(self) -> bool:
        return self.p99_ms < P99_PASS_MS and not self.bus_dropped and self.errors == 0


def _free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _free_udp_base(count: int) -> int:
    """Below the kernel's ephemeral range, so the simulator's own sockets cannot take these ports."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    rng = random.Random()
    for _ in range(100):
        base = rng.randrange(10_000, max(10_001, low - count - 2))
        held: list[socket.socket] = []
        try:
            for i in range(count + 1):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                held.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError("no free UDP port range")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _sim_available() -> bool:
    if not BORDERWATCH.exists():
        return False
    probe = subprocess.run(
        [str(BORDERWATCH), "sim", "run", "--help"], capture_output=True, cwd=REPO, check=False
    )
    return probe.returncode == 0


def _spawn(cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _wait_file(path: Path, timeout_s: float, processes: list[subprocess.Popen[bytes]]) -> dict[str, object]:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        for p in processes:
            if p.poll() is not None:
                raise RuntimeError(f"{p.args[:4]} exited with {p.returncode} before writing {path.name}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path.name} not written within {timeout_s} s")
        time.sleep(0.1)
    time.sleep(0.05)
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


def run_once(n_vehicles: int, n_clients: int, args: argparse.Namespace, workdir: Path) -> RunResult:
    run_dir = workdir / f"v{n_vehicles}-c{n_clients}"
    run_dir.mkdir(parents=True)
    base = _free_udp_base(n_vehicles)
    http_port = _free_tcp_port()
    processes: list[subprocess.Popen[bytes]] = []
    use_sim = args.source == "sim"
    total_s = args.warmup + args.measure + 20.0
    try:
        if use_sim:
            ready = run_dir / "sim-ready.json"
            sim = _spawn(
                [
                    str(BORDERWATCH),
                    "sim",
                    "run",
                    "--vehicles",
                    str(n_vehicles),
                    "--base-port",
                    str(base),
                    "--speed",
                    "1",
                    "--ready-json",
                    str(ready),
                    "--no-cameras",
                    "--control-port",
                    "0",
                ],
                run_dir / "sim.log",
            )
            processes.append(sim)
            info = _wait_file(ready, 120, processes)
            vehicles = [{"slug": v["slug"], "mavlink_url": v["mavlink_url"]} for v in info["vehicles"]]  # type: ignore[attr-defined]
        else:
            vehicles = [
                {"slug": f"sim-{i}", "mavlink_url": f"udpin://127.0.0.1:{base + i}"}
                for i in range(n_vehicles)
            ]
            fleet = _spawn(
                [
                    PYTHON,
                    "-m",
                    "bench.mavlink_fleet",
                    "--vehicles",
                    str(n_vehicles),
                    "--base-port",
                    str(base),
                    "--duration",
                    str(total_s + 30),
                ],
                run_dir / "vehicles.log",
            )
            processes.append(fleet)
        (run_dir / "vehicles.json").write_text(json.dumps(vehicles))
        station_ready = run_dir / "station-ready.json"
        station_stats = run_dir / "station-stats.json"
        station = _spawn(
            [
                PYTHON,
                "-m",
                "bench.bench_station",
                "--role",
                "station",
                "--dir",
                str(run_dir),
                "--vehicles-json",
                str(run_dir / "vehicles.json"),
                "--http-port",
                str(http_port),
                "--ready",
                str(station_ready),
                "--stats",
                str(station_stats),
                "--duration",
                str(args.warmup + args.measure + 6.0),
                "--deflate" if args.deflate else "--no-deflate",
                *(["--position-hz", str(args.position_hz)] if args.position_hz is not None else []),
            ],
            run_dir / "station.log",
        )
        processes.append(station)
        ready_info = _wait_file(station_ready, 180, processes)
        token, pid = str(ready_info["token"]), int(ready_info["pid"])  # type: ignore[call-overload]
        slugs = ",".join(v["slug"] for v in vehicles)
        load = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "bench.station_load",
                "--port",
                str(http_port),
                "--token",
                token,
                "--clients",
                str(n_clients),
                "--slugs",
                slugs,
                "--mix",
                args.mix,
                "--warmup",
                str(args.warmup),
                "--measure",
                str(args.measure),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=(run_dir / "load.log").open("wb"),
            start_new_session=True,
        )
        processes.append(load)
        time.sleep(args.warmup)
        source_pid = processes[0].pid
        cpu0, source_cpu0, t0 = _cpu_seconds(pid), _cpu_seconds(source_pid), time.monotonic()
        time.sleep(args.measure)
        cpu1, source_cpu1, t1 = _cpu_seconds(pid), _cpu_seconds(source_pid), time.monotonic()
        out, _ = load.communicate(timeout=args.measure + 60)
        figures = json.loads(out)
        stats = _wait_file(station_stats, 60, [station])
        return RunResult(
            vehicles=n_vehicles,
            clients=n_clients,
            p50_ms=float(figures["p50_ms"]),
            p99_ms=float(figures["p99_ms"]),
            max_ms=float(figures["max_ms"]),
            frames_per_s=float(figures["frames_per_s"]),
            station_cpu_s_per_s=(cpu1 - cpu0) / (t1 - t0),
            source_cpu_s_per_s=(source_cpu1 - source_cpu0) / (t1 - t0),
            errors=int(figures["errors"]),
            bus_dropped=dict(stats["bus_dropped"]),  # type: ignore[call-overload]
            packets_received=int(stats["packets_received"]),  # type: ignore[call-overload]
            vehicles_connected=int(stats["vehicles_connected"]),  # type: ignore[call-overload]
            source="borderwatch sim" if use_sim else "bench.mavlink_fleet",
            station_loop_lag_p99_ms=float(stats["loop_lag_p99_ms"]),  # type: ignore[arg-type]
            loadgen_loop_lag_p99_ms=float(figures["loadgen_loop_lag_p99_ms"]),
            loadgen_cpu_s_per_s=float(figures["loadgen_cpu_s"]) / (args.warmup + args.measure),
        )
    finally:
        for process in reversed(processes):
            _stop(process)


def _big_mission(items: int) -> dict[str, Any]:
    """``items`` waypoints on a seeded grid north of Jeseník (uniform 100 x N, 1e-5 deg steps)."""
    lon, lat = 17.10, 50.33
    points = [
        {
            "kind": "waypoint",
            "lon": lon + (i % 100) * 1e-5,
            "lat": lat + (i // 100) * 1e-5,
            "alt_m": 60.0,
            "alt_frame": "REL_HOME",
        }
        for i in range(items - 1)
    ]
    takeoff = {"kind": "takeoff", "lon": lon, "lat": lat, "alt_m": 60.0, "alt_frame": "REL_HOME"}
    return {"name": "bench largest mission", "home": {"lon": lon, "lat": lat}, "items": [takeoff, *points]}


async def _ws_gaps(url: str, gaps: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """(receive time, gap since the previous telemetry frame) for every frame until ``stop``."""
    import websockets

    async with websockets.connect(url, max_queue=None, open_timeout=30, ping_interval=None) as ws:
        last: float | None = None
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), 1.0)
            except TimeoutError:
                continue
            if '"type":"telemetry"' not in str(text):
                continue
            now = time.monotonic()
            if last is not None:
                gaps.append((now, now - last))
            last = now


async def _export_gap(port: int, token: str, exports: int) -> dict[str, float]:
    import httpx

    from missions.model import MAX_ITEMS

    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as client:
        created = await client.post("/api/missions", json=_big_mission(MAX_ITEMS))
        created.raise_for_status()
        mission_id = created.json()["mission_id"]
        gaps: list[tuple[float, float]] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            _ws_gaps(f"ws://127.0.0.1:{port}/ws/telemetry?token={token}", gaps, stop)
        )
        await asyncio.sleep(3.0)  # baseline frames
        t0 = time.monotonic()
        for _ in range(exports):
            (await client.get(f"/api/missions/{mission_id}/plan")).raise_for_status()
        t1 = time.monotonic()
        await asyncio.sleep(1.0)
        stop.set()
        await watcher
    before = [g for t, g in gaps if t < t0]
    during = [g for t, g in gaps if t0 <= t <= t1 + 0.5]
    return {
        "items": float(MAX_ITEMS),
        "exports": float(exports),
        "export_s_each": (t1 - t0) / exports,
        "ws_gap_max_before_ms": max(before, default=float("nan")) * 1000,
        "ws_gap_max_during_ms": max(during, default=float("nan")) * 1000,
        "ws_frames_during": float(len(during)),
    }


def export_gap_run(args: argparse.Namespace, workdir: Path) -> dict[str, float]:
    """One scripted vehicle, the station in its own process, one WS client + the exports in this one."""
    run_dir = workdir / "export-gap"
    run_dir.mkdir(parents=True)
    base = _free_udp_base(1)
    http_port = _free_tcp_port()
    vehicles = [{"slug": "sim-0", "mavlink_url": f"udpin://127.0.0.1:{base}"}]
    (run_dir / "vehicles.json").write_text(json.dumps(vehicles))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            _spawn(
                [
                    *(PYTHON, "-m", "bench.mavlink_fleet", "--vehicles", "1"),
                    *("--base-port", str(base), "--duration", "600"),
                ],
                run_dir / "vehicles.log",
            )
        )
        ready = run_dir / "station-ready.json"
        processes.append(
            _spawn(
                [
                    *(PYTHON, "-m", "bench.bench_station", "--role", "station", "--dir", str(run_dir)),
                    *("--vehicles-json", str(run_dir / "vehicles.json"), "--http-port", str(http_port)),
                    *("--ready", str(ready), "--stats", str(run_dir / "stats.json"), "--duration", "300"),
                ],
                run_dir / "station.log",
            )
        )
        info = _wait_file(ready, 180, processes)
        return asyncio.run(_export_gap(http_port, str(info["token"]), args.exports))
    finally:
        for process in reversed(processes):
            _stop(process)


def _print(result: RunResult, baseline: RunResult | None) -> None:
    ratio = (
        f"  p99 x{result.p99_ms / baseline.p99_ms:.1f} of baseline"
        if baseline and baseline.p99_ms > 0
        else ""
    )
    verdict = "PASS" if result.passed else "FAIL"
    print(
        f"{result.vehicles:4d} vehicles {result.clients:4d} clients: p50 {result.p50_ms:6.1f} ms  "
        f"p99 {result.p99_ms:6.1f} ms  max {result.max_ms:7.1f} ms  {result.frames_per_s:8.0f} WS frames/s  "
        f"station CPU {100 * result.station_cpu_s_per_s:5.1f} % "
        f"({result.cpu_per_vehicle_pct:.2f} %/vehicle)  "
        f"connected {result.vehicles_connected}/{result.vehicles}  bus drops {result.bus_dropped or 0}  "
        f"errors {result.errors}  loop lag p99: station {result.station_loop_lag_p99_ms:.0f} ms, "
        f"load generator {result.loadgen_loop_lag_p99_ms:.0f} ms "
        f"(CPU {100 * result.loadgen_cpu_s_per_s:.0f} %), "
        f"vehicles' CPU {100 * result.source_cpu_s_per_s:.0f} %"
        f"  [{verdict}]{ratio}",
        flush=True,
    )


def median_run(n_vehicles: int, args: argparse.Namespace, workdir: Path, baseline: RunResult) -> RunResult:
    """``--repeat`` runs of one count, each printed; the verdict is the run with the median p99, because
    the machine is shared and a single run can land on someone else's burst."""
    results: list[RunResult] = []
    for attempt in range(args.repeat):
        result = run_once(n_vehicles, args.clients, args, workdir / f"try{attempt}")
        if args.repeat > 1:
            print(f"  try {attempt + 1}/{args.repeat}:", end="")
        _print(result, baseline)
        results.append(result)
    median = sorted(results, key=lambda r: r.p99_ms)[len(results) // 2]
    if args.repeat > 1:
        verdict = "PASS" if median.passed else "FAIL"
        print(f"  median of {args.repeat}: p99 {median.p99_ms:.1f} ms [{verdict}]")
    return median


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--role", choices=("bench", "station"), default="bench")
    parser.add_argument("--counts", default="25,50", help="vehicle counts to try, ascending")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--mix", choices=("pilot", "all"), default="pilot")
    parser.add_argument("--source", choices=("auto", "sim", "scripted"), default="auto")
    parser.add_argument(
        "--position-hz", type=float, default=None, help="bus position rate per vehicle (0 = every packet)"
    )
    parser.add_argument("--keep", help="directory that keeps every process's log (default: a temp dir)")
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument(
        "--deflate", action=argparse.BooleanOptionalAction, default=False, help="WS permessage-deflate"
    )
    parser.add_argument("--measure", type=float, default=8.0)
    parser.add_argument(
        "--export-gap",
        action="store_true",
        help="only measure the WebSocket gap while the largest allowed mission is exported",
    )
    parser.add_argument("--exports", type=int, default=3, help="exports in the --export-gap measurement")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per vehicle count; the run with the median p99 decides"
    )
    # station role
    parser.add_argument("--dir")
    parser.add_argument("--vehicles-json")
    parser.add_argument("--http-port", type=int)
    parser.add_argument("--ready")
    parser.add_argument("--stats")
    parser.add_argument("--duration", type=float)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.role == "station":
        asyncio.run(_station(args, json.loads(Path(args.vehicles_json).read_text())))
        return
    if args.export_gap:
        with tempfile.TemporaryDirectory(prefix="bench-export-gap-") as tmp:
            figures = export_gap_run(args, Path(args.keep) if args.keep else Path(tmp))
        print(json.dumps(figures, indent=2))
        return
    if args.source == "auto":
        args.source = "sim" if _sim_available() else "scripted"
    print(
        f"vehicles from {args.source}; client subscriptions: {args.mix} "
        "(see bench.station_load.subscriptions)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-station-") as tmp:
        workdir = Path(args.keep) if args.keep else Path(tmp)  # --keep: logs of every process stay
        baseline = run_once(1, 1, args, workdir)
        print("baseline:", end=" ")
        _print(baseline, None)
        best: int | None = None
        for count in (int(c) for c in args.counts.split(",")):
            result = median_run(count, args, workdir, baseline)
            if not result.passed:
                break
            best = count
        print(f"largest vehicle count holding p99 < {P99_PASS_MS:.0f} ms with {args.clients} clients: {best}")


if __name__ == "__main__":
    main()
