"""Benchmark: N simulated PX4 vehicles in one process, at PX4's onboard-link telemetry rates (~410 msg/s
each), in real time on one core.

Reports, for 1 vehicle (the baseline, same process) and for N (default 50):
* the CPU cost per simulated second on a virtual clock (immune to the machine's other load) and the
  real-time factor one free core can sustain;
* a live run: achieved real-time factor (vehicle seconds per wall second; 1.0 = keeping up), MAVLink
  messages per second sent (and, with --sink, received by a separate process), CPU share, dropped ticks;
* the per-vehicle CPU cost ratio N-vs-1.

Workload (seeded, stated): every vehicle is armed, takes off to 30 m and flies a reposition 2 km away at
5 m/s under 4 m/s wind from 250 deg with 1 m/s gusts (seed 7); homes 25 m apart; flat ground.

Run: .venv/bin/python -m bench.bench_sim [--vehicles 50] [--seconds 15] [--sink]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import time
from dataclasses import dataclass

from sim.flight import FlightController
from sim.px4_modes import FlightMode
from sim.scenario import Scenario, with_vehicle_count
from sim.terrain_source import FlatGround
from sim.world import World, WorldPorts

WARMUP_S = 3.0


def _sink(
    port_queue: multiprocessing.Queue, stop: multiprocessing.Event, counts: multiprocessing.Queue
) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    port_queue.put(sock.getsockname()[1])
    received = 0
    while not stop.is_set():
        try:
            sock.recv(4096)
            received += 1
        except TimeoutError:
            continue
    counts.put(received)


@dataclass
class Result:
    vehicles: int
    wall_s: float
    real_time_factor: float
    messages_sent_per_s: float
    messages_received_per_s: float
    cpu_per_wall: float
    late_ticks: int

    @property
    def cpu_per_vehicle(self) -> float:
        return self.cpu_per_wall / self.vehicles


def _scenario() -> Scenario:
    return Scenario.model_validate(
        {
            "name": "bench",
            "seed": 7,
            "wind": {"speed_mps": 4.0, "from_deg": 250.0, "gust_sigma_mps": 1.0},
            "vehicles": [{"slug": "sim-1", "home": {"lon": 17.205, "lat": 50.229, "alt_amsl_m": 430.0}}],
        }
    )


def _reposition_all(world: World) -> None:
    for vehicle in world.vehicles.values():
        flight = vehicle.flight
        if flight.mode == FlightMode.LOITER:
            flight.reposition(
                flight.body.east_m + 2000.0, flight.body.north_m + 200.0, flight.body.alt_amsl_m, None
            )


def _fly(flight: FlightController, index: int) -> None:
    flight.arm(force=True)
    flight.takeoff(flight.home_alt_amsl_m + 30.0)


async def _run(vehicles: int, seconds: float, sink_port: int) -> tuple[float, float, int, int, float]:
    scenario = with_vehicle_count(_scenario(), vehicles)
    world = World(scenario, FlatGround(430.0), speed=1.0, ports=WorldPorts(gcs_ports=(sink_port,) * vehicles))
    await world.start()
    task = asyncio.create_task(world.run())
    await asyncio.sleep(0.5)
    for index, vehicle in enumerate(world.vehicles.values()):
        _fly(vehicle.flight, index)
    await asyncio.sleep(WARMUP_S)
    _reposition_all(world)
    sent0 = sum(v.link.stats.frames_out for v in world.vehicles.values())
    sim0, wall0, cpu0, late0 = world.clock.sim_time_s, time.monotonic(), time.process_time(), world.late_ticks
    await asyncio.sleep(seconds)
    sent = sum(v.link.stats.frames_out for v in world.vehicles.values()) - sent0
    sim_s = world.clock.sim_time_s - sim0
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    late = world.late_ticks - late0
    world.stop()
    await task
    world.close()
    return sim_s / wall, wall, sent, late, cpu


def measure(vehicles: int, seconds: float, with_sink: bool) -> Result:
    """A live run. Without ``with_sink`` the frames go to a socket nobody reads (the kernel drops them
    after the send, which costs the simulator exactly as much): on a 2-core machine shared with other
    work, a receiving process competes with the simulator for the same cores."""
    if not with_sink:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as drain:
            drain.bind(("127.0.0.1", 0))
            rtf, wall, sent, late, cpu = asyncio.run(_run(vehicles, seconds, drain.getsockname()[1]))
        return Result(vehicles, wall, rtf, sent / wall, float("nan"), cpu / wall, late)
    ctx = multiprocessing.get_context("spawn")
    port_queue: multiprocessing.Queue = ctx.Queue()
    counts: multiprocessing.Queue = ctx.Queue()
    stop = ctx.Event()
    sink = ctx.Process(target=_sink, args=(port_queue, stop, counts), daemon=True)
    sink.start()
    port = port_queue.get(timeout=30)
    try:
        rtf, wall, sent, late, cpu = asyncio.run(_run(vehicles, seconds, port))
    finally:
        stop.set()
    received_total = counts.get(timeout=30)
    sink.join(timeout=10)
    # The sink counted warm-up traffic too; report it over the whole sink lifetime's share of the window.
    return Result(
        vehicles, wall, rtf, sent / wall, received_total / (wall + WARMUP_S + 0.5), cpu / wall, late
    )


class VirtualWallClock:
    """Wall time that advances exactly one tick per world step, so CPU cost per simulated second can be
    measured without other processes' load distorting the schedule."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def cpu_cost_per_second(vehicles: int, seconds: float, sink_port: int) -> tuple[float, float]:
    """(CPU seconds per simulated second, messages per simulated second) with the same workload, ticking
    as fast as the CPU allows on a virtual wall clock (telemetry still scheduled at PX4 rates)."""
    from sim.world import TICK_S

    async def run() -> tuple[float, float]:
        clock = VirtualWallClock()
        scenario = with_vehicle_count(_scenario(), vehicles)
        world = World(
            scenario, FlatGround(430.0), speed=1.0, ports=WorldPorts(gcs_ports=(sink_port,) * vehicles),
            wall_clock=clock,
        )  # fmt: skip
        await world.start()
        for _ in range(50):
            world.step()
            clock.now += TICK_S
        for index, vehicle in enumerate(world.vehicles.values()):
            _fly(vehicle.flight, index)
        for _ in range(int(WARMUP_S / TICK_S)):
            world.step()
            clock.now += TICK_S
        _reposition_all(world)
        sent0 = sum(v.link.stats.frames_out for v in world.vehicles.values())
        ticks = int(seconds / TICK_S)
        cpu0 = time.process_time()
        for _ in range(ticks):
            world.step()
            clock.now += TICK_S
        cpu = time.process_time() - cpu0
        sent = sum(v.link.stats.frames_out for v in world.vehicles.values()) - sent0
        world.close()
        return cpu / (ticks * TICK_S), sent / (ticks * TICK_S)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--sink",
        action="store_true",
        help="count deliveries in a separate receiving process (competes for CPU)",
    )
    args = parser.parse_args()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as drain:  # never read: the kernel drops
        drain.bind(("127.0.0.1", 0))
        port = drain.getsockname()[1]
        cost_1, msgs_1 = cpu_cost_per_second(1, 20.0, port)
        cost_n, msgs_n = cpu_cost_per_second(args.vehicles, min(args.seconds, 10.0), port)
    per_vehicle_ratio = cost_n / args.vehicles / cost_1
    print("CPU cost on a virtual clock (immune to other processes' load):")
    print(f"  1 vehicle: {cost_1 * 1000:.1f} ms CPU per simulated second ({msgs_1:.0f} msg/s)")
    print(
        f"  {args.vehicles} vehicles: {cost_n:.3f} CPU-s per simulated second ({msgs_n:.0f} msg/s), "
        f"{cost_n / args.vehicles * 1000:.1f} ms per vehicle = x{per_vehicle_ratio:.2f} "
        "the single vehicle's cost"
    )
    print(f"  -> real-time factor one free core sustains for {args.vehicles} vehicles: {1.0 / cost_n:.2f}")
    print(f"live runs on this machine (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores):")
    baseline = measure(1, min(args.seconds, 8.0), args.sink)
    loaded = measure(args.vehicles, args.seconds, args.sink)
    for result in (baseline, loaded):
        per_vehicle = result.messages_sent_per_s / result.vehicles
        received = f"sink received ~{result.messages_received_per_s:6.0f} msg/s, " if args.sink else ""
        print(
            f"  {result.vehicles:3d} vehicle(s): real-time factor {result.real_time_factor:.3f}, "
            f"sent {result.messages_sent_per_s:6.0f} msg/s ({per_vehicle:.0f} per vehicle), {received}"
            f"CPU {result.cpu_per_wall * 100:5.1f} % of one core, dropped ticks {result.late_ticks}"
        )
    ratio = (
        loaded.cpu_per_vehicle / baseline.cpu_per_vehicle if baseline.cpu_per_vehicle > 0 else float("nan")
    )
    print(
        f"  per-vehicle CPU, {loaded.vehicles} vs 1 vehicle: x{ratio:.2f} "
        f"({loaded.cpu_per_vehicle * 1000:.1f} vs {baseline.cpu_per_vehicle * 1000:.1f} ms CPU per "
        "vehicle-second; the 1-vehicle figure includes the loop's fixed cost)"
    )
    verdict = (
        "keeps up with" if loaded.real_time_factor >= 0.99 and loaded.late_ticks == 0 else "FALLS BEHIND"
    )
    print(f"{loaded.vehicles} vehicles {verdict} real time on this machine")


if __name__ == "__main__":
    main()
