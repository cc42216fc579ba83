"""WebSocket load generator for ``bench_station``: N clients on ``WS /ws/telemetry`` in this process.

Each client measures, per frame, now - the newest ``time_utc`` in it (the station's MAVLink receive
time of that data), i.e. MAVLink packet in -> WebSocket frame received. Parsing is a regex over the
text, not a JSON decode, so the generator's own cost inflates the figures as little as possible.
Subscriptions are drawn from a seeded distribution (stated in ``--mix``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import re
import sys
import time

import websockets

TIME_RE = re.compile(rb'"time_utc":"([^"]+)"')


async def client(
    url: str,
    vehicles: list[str] | None,
    start_at: float,
    stop_at: float,
    out: list[float],
    stats: dict[str, int],
) -> None:
    try:
        async with websockets.connect(url, max_queue=None, open_timeout=30, ping_interval=None) as ws:
            if vehicles is not None:
                await ws.send(json.dumps({"type": "subscribe", "vehicles": vehicles, "topics": None}))
            while True:
                remaining = stop_at - time.time()
                if remaining <= 0:
                    return
                try:
                    async with asyncio.timeout(remaining):
                        message = await ws.recv(decode=False)
                except TimeoutError:
                    return
                now = time.time()
                stats["frames"] += 1
                if now < start_at:
                    continue
                stamps = TIME_RE.findall(message if isinstance(message, bytes) else message.encode())
                if not stamps:
                    continue
                newest = max(dt.datetime.fromisoformat(s.decode()).timestamp() for s in stamps)
                out.append(now - newest)
    except Exception as exc:  # counted, reported; one failed client must not end the run
        stats["errors"] += 1
        stats.setdefault("error_samples", [])  # type: ignore[arg-type]
        if len(stats["error_samples"]) < 3:  # type: ignore[arg-type]
            stats["error_samples"].append(repr(exc))  # type: ignore[attr-defined]


def subscriptions(n_clients: int, slugs: list[str], mix: str, seed: int) -> list[list[str] | None]:
    """``all``: every client sees every vehicle (the commander's map).
    ``pilot``: 80 % one vehicle, 15 % five, 5 % all (pilots watch their own vehicle)."""
    rng = random.Random(seed)
    out: list[list[str] | None] = []
    for _ in range(n_clients):
        if mix == "all":
            out.append(None)
            continue
        draw = rng.random()
        if draw < 0.80:
            out.append(rng.sample(slugs, 1))
        elif draw < 0.95:
            out.append(rng.sample(slugs, min(5, len(slugs))))
        else:
            out.append(None)
    return out


async def loop_lag(stop_at: float, out: list[float], period_s: float = 0.01) -> None:
    """How late this process's event loop wakes up: if it is busy, its latency figures include that."""
    while time.time() < stop_at:
        before = time.perf_counter()
        await asyncio.sleep(period_s)
        out.append(time.perf_counter() - before - period_s)


def percentile_ms(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def run(args: argparse.Namespace) -> dict[str, object]:
    slugs = args.slugs.split(",")
    url = f"ws://127.0.0.1:{args.port}/ws/telemetry?token={args.token}"
    start_at = time.time() + args.warmup
    stop_at = start_at + args.measure
    latencies: list[float] = []
    stats: dict[str, int] = {"frames": 0, "errors": 0}
    tasks = [
        asyncio.create_task(client(url, subs, start_at, stop_at, latencies, stats))
        for subs in subscriptions(args.clients, slugs, args.mix, args.seed)
    ]
    lags: list[float] = []
    tasks.append(asyncio.create_task(loop_lag(stop_at, lags)))
    cpu0 = time.process_time()
    await asyncio.gather(*tasks)
    cpu = time.process_time() - cpu0
    latencies.sort()

    def pct(p: float) -> float:
        return percentile_ms(latencies, p)

    return {
        "samples": len(latencies),
        "frames_per_s": len(latencies) / args.measure,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "errors": stats["errors"],
        "loadgen_loop_lag_p99_ms": percentile_ms(lags, 0.99),
        "loadgen_cpu_s": cpu,
        "error_samples": stats.get("error_samples", []),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--slugs", required=True, help="comma-separated vehicle slugs")
    parser.add_argument("--mix", choices=("all", "pilot"), default="pilot")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--measure", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=7)
    result = asyncio.run(run(parser.parse_args()))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
