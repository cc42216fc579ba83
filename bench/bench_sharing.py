"""Sharing overhead: 50 vehicles' positions at 10 Hz forwarded to 4 partners over the federation link,
against direct WebSocket delivery of the same positions to 4 clients, in the same run.

    .venv/bin/python -m bench.bench_sharing [--vehicles 50] [--hz 10] [--partners 4] [--seconds 10]

Two processes: the sending centre (an in-process bus fed by a seeded generator: each vehicle does a
random walk inside the agreed area, start points uniform in it, steps N(0, 5 m) per tick) and the
receivers (4 partner centres, each a real FederationNode with its own mutual-TLS identity, and 4 plain
clients). Phase 1 sends every position directly (``model_dump_json`` + one TLS WebSocket send per
client: what the telemetry hub does, with TLS so transport costs compare like with like); phase 2 runs
the real gateway (policy per item and partner, session audit into SQLite, numbered frames, outbox, acks).
Latency = receive wall time - the position's ``time_utc`` (set when it is published). Sender CPU is
read from /proc over each phase. Goal: added p99 < 20 ms and added CPU < 10 % of a core.
The machine is shared; repeat before believing a difference of less than ~30 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SENDER = "hzs-olomouc"
AREA = (17.0, 50.2, 17.6, 50.5)


def cpu_seconds() -> float:
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- sender process --------------------------------------------------------------------------------


async def sender(args: argparse.Namespace) -> None:
    from websockets.asyncio.server import serve

    from ground_station.bus.inprocess import InProcessBus
    from ground_station.bus.messages import PositionMsg
    from ground_station.sharing.audit_log import SharingAudit
    from ground_station.sharing.gateway import Gateway
    from ground_station.sharing.link import FederationNode
    from ground_station.sharing.model import Agreement, Area, Clause, DataClass
    from ground_station.sharing.receiver import PartnerView, Receiver
    from ground_station.sharing.tls import Identity, PartnerTrust, client_context, server_context
    from ground_station.store.durable import DurableWriter
    from ground_station.store.journal import Journal
    from ground_station.store.sqlite import open_sqlite_store

    work = Path(args.work)
    partners = [f"partner-{i}" for i in range(args.partners)]
    me = Identity(
        work / SENDER / f"{SENDER}.pem", work / SENDER / f"{SENDER}-key.pem", work / SENDER / "ca.pem"
    )
    cas = [work / name / "ca.pem" for name in partners]
    store = await open_sqlite_store(work / "sender.sqlite3")
    durable = DurableWriter(store, Journal(work / "journal.jsonl"))
    bus = InProcessBus()
    audit = SharingAudit(durable, bus, SENDER)
    trust = {n: PartnerTrust(n, (work / n / "ca.pem").read_bytes()) for n in partners}
    node = FederationNode(
        SENDER,
        trust,
        server_context(me, cas),
        client_context(me, cas),
        Receiver(PartnerView(lambda: datetime.now(UTC), 3600), audit),
        audit,
        lambda: datetime.now(UTC),
    )
    gateway = Gateway(SENDER, node, audit, lambda: datetime.now(UTC))
    now = datetime.now(UTC)
    area = Area.box(*AREA)
    gateway.agreements = [
        Agreement(
            id=f"agr-{n}",
            partner=n,
            legal_basis="bench",
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=1),
            normal=Clause(data_classes=frozenset({DataClass.POSITIONS}), area=area, retention_s=600),
        )
        for n in partners
    ]
    await node.start("127.0.0.1", 0)
    direct_clients: set[Any] = set()

    async def direct_handler(ws: Any) -> None:
        direct_clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            direct_clients.discard(ws)

    direct_ctx = server_context(me, cas)
    direct = await serve(direct_handler, "127.0.0.1", 0, ssl=direct_ctx, compression=None)
    ports = {"federation": node.port, "direct": next(iter(direct.sockets)).getsockname()[1]}
    (work / "ports.json").write_text(json.dumps(ports))
    while len(direct_clients) < args.partners or not all(  # noqa: ASYNC110 (other process)
        link.up.is_set() for link in node.links.values()
    ):
        await asyncio.sleep(0.05)

    rng = random.Random(args.seed)
    walkers = {
        f"v{i:02d}": [
            rng.uniform(AREA[0] + 0.05, AREA[2] - 0.05),
            rng.uniform(AREA[1] + 0.05, AREA[3] - 0.05),
        ]
        for i in range(args.vehicles)
    }

    def positions() -> list[PositionMsg]:
        out = []
        for vid, pos in walkers.items():
            pos[0] += rng.gauss(0, 5) / 71_000
            pos[1] += rng.gauss(0, 5) / 111_000
            out.append(
                PositionMsg(
                    vehicle_id=vid,
                    time_utc=datetime.now(UTC),
                    vehicle_time_ms=0,
                    lon=pos[0],
                    lat=pos[1],
                    alt_amsl_m=500.0,
                    alt_rel_m=50.0,
                    vn_mps=0.0,
                    ve_mps=0.0,
                    vd_mps=0.0,
                )
            )
        return out

    marks: dict[str, str] = {}

    async def phase(name: str, deliver: Any) -> dict[str, float]:
        """One warm-up second first (sessions open: their audit rows are written once, with an fsync),
        then the measured window; receivers count only items published inside it."""
        period = 1.0 / args.hz
        for _ in range(int(args.hz)):
            for msg in positions():
                await deliver(msg)
            await asyncio.sleep(period)
        marks[name] = datetime.now(UTC).isoformat()
        (work / "marks.json").write_text(json.dumps(marks))
        ticks = int(args.seconds * args.hz)
        start_cpu, start = cpu_seconds(), time.perf_counter()
        for tick in range(ticks):
            for msg in positions():
                await deliver(msg)
            delay = start + (tick + 1) * period - time.perf_counter()
            await asyncio.sleep(max(0.0, delay))
        elapsed = time.perf_counter() - start
        return {"cpu_pct": 100.0 * (cpu_seconds() - start_cpu) / elapsed, "seconds": elapsed}

    async def send_direct(msg: PositionMsg) -> None:
        text = msg.model_dump_json()
        for ws in list(direct_clients):
            await ws.send(text)

    async def idle(msg: PositionMsg) -> None:
        return None

    results = {"idle": await phase("idle", idle)}
    results["direct"] = await phase("direct", send_direct)
    await gateway.start(bus)

    async def via_bus(msg: PositionMsg) -> None:
        await bus.publish(f"vehicle.{msg.vehicle_id}.position", msg)

    results["sharing"] = await phase("sharing", via_bus)
    results["audit_rows"] = {"rows": float(audit.rows)}
    results["sent"] = {"frames": float(gateway.sent)}
    for _ in range(100):  # the partners acknowledge the tail within their idle-ack interval
        if not any(link.outbox.frames for link in node.links.values()):
            break
        await asyncio.sleep(0.05)
    (work / "sender.json").write_text(json.dumps(results))
    await asyncio.sleep(0.5)
    await gateway.stop()
    await node.stop()
    direct.close()
    await store.close()


# -- receivers process ------------------------------------------------------------------------------


async def receivers(args: argparse.Namespace) -> None:
    from websockets.asyncio.client import connect

    from ground_station.sharing import wire
    from ground_station.sharing.link import FederationNode
    from ground_station.sharing.tls import Identity, PartnerTrust, client_context, server_context

    work = Path(args.work)
    while not (work / "ports.json").exists():  # noqa: ASYNC110 (a file of the other process)
        await asyncio.sleep(0.05)
    ports = json.loads((work / "ports.json").read_text())
    latencies: dict[str, list[tuple[str, float]]] = {"direct": [], "sharing": []}

    class Sink:
        async def on_frame(self, partner: str, frame: Any) -> None:
            if isinstance(frame, wire.PositionFrame):
                now = datetime.now(UTC)
                latencies["sharing"].append(
                    (frame.time_utc.isoformat(), (now - frame.time_utc).total_seconds() * 1000)
                )

        async def on_link_up(self, partner: str) -> None:
            return None

        async def on_link_down(self, partner: str) -> None:
            return None

    async def no_audit(*_: Any) -> None:
        return None

    nodes = []
    for i in range(args.partners):
        name = f"partner-{i}"
        me = Identity(work / name / f"{name}.pem", work / name / f"{name}-key.pem", work / name / "ca.pem")
        cas = [work / SENDER / "ca.pem"]
        node = FederationNode(
            name,
            {SENDER: PartnerTrust(SENDER, cas[0].read_bytes())},
            server_context(me, cas),
            client_context(me, cas),
            Sink(),
            no_audit,
            lambda: datetime.now(UTC),
            partner_urls={SENDER: f"wss://127.0.0.1:{ports['federation']}"},
        )
        await node.start()
        nodes.append(node)

    async def direct_client(i: int) -> None:
        name = f"partner-{i}"
        me = Identity(work / name / f"{name}.pem", work / name / f"{name}-key.pem", work / name / "ca.pem")
        context: ssl.SSLContext = client_context(me, [work / SENDER / "ca.pem"])
        async with connect(
            f"wss://127.0.0.1:{ports['direct']}", ssl=context, compression=None, proxy=None
        ) as ws:
            async for text in ws:
                sent = datetime.fromisoformat(json.loads(text)["time_utc"])
                now = datetime.now(UTC)
                latencies["direct"].append((sent.isoformat(), (now - sent).total_seconds() * 1000))

    tasks = [asyncio.ensure_future(direct_client(i)) for i in range(args.partners)]
    while not (work / "sender.json").exists():  # noqa: ASYNC110 (a file of the other process)
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    for node in nodes:
        await node.stop()
    marks = json.loads((work / "marks.json").read_text())
    measured = {
        phase: [
            ms
            for published, ms in values
            if datetime.fromisoformat(published) >= datetime.fromisoformat(marks[phase])
        ]
        for phase, values in latencies.items()
    }
    (work / "receivers.json").write_text(json.dumps(measured))


# -- orchestration ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vehicles", type=int, default=50)
    parser.add_argument("--hz", type=float, default=10.0)
    parser.add_argument("--partners", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--role", choices=["sender", "receivers"], default=None)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    if args.role == "sender":
        asyncio.run(sender(args))
        return
    if args.role == "receivers":
        asyncio.run(receivers(args))
        return
    from ground_station.sharing.tls import write_identity

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in [SENDER, *(f"partner-{i}" for i in range(args.partners))]:
            write_identity(work / name, name, datetime.now(UTC), ("127.0.0.1",))
        common = [
            f"--vehicles={args.vehicles}",
            f"--hz={args.hz}",
            f"--partners={args.partners}",
            f"--seconds={args.seconds}",
            f"--seed={args.seed}",
            f"--work={work}",
        ]
        procs = [
            subprocess.Popen([sys.executable, "-m", "bench.bench_sharing", "--role", role, *common], cwd=REPO)
            for role in ("sender", "receivers")
        ]
        for proc in procs:
            proc.wait(timeout=args.seconds * 4 + 120)
        sent = json.loads((work / "sender.json").read_text())
        lat = json.loads((work / "receivers.json").read_text())
    rate = args.vehicles * args.hz * args.partners
    print(
        f"{args.vehicles} vehicles x {args.hz:g} Hz x {args.partners} partners = {rate:.0f} items/s, "
        f"{args.seconds:g} s per phase"
    )
    for phase in ("direct", "sharing"):
        values = lat[phase]
        print(
            f"  {phase:8s} received {len(values):6d}  p50 {p(values, 0.5):6.2f} ms  "
            f"p99 {p(values, 0.99):6.2f} ms  "
            f"sender CPU {sent[phase]['cpu_pct']:5.1f} % (idle generator {sent['idle']['cpu_pct']:.1f} %)"
        )
    added_p99 = p(lat["sharing"], 0.99) - p(lat["direct"], 0.99)
    added_cpu = sent["sharing"]["cpu_pct"] - sent["direct"]["cpu_pct"]
    print(f"  sharing audit rows {sent['audit_rows']['rows']:.0f} for {sent['sent']['frames']:.0f} frames")
    verdict = "PASS" if added_p99 < 20 and added_cpu < 10 else "FAIL"
    print(
        f"  added p99 {added_p99:+.2f} ms (goal < 20), "
        f"added CPU {added_cpu:+.1f} % of a core (goal < 10): {verdict}"
    )


if __name__ == "__main__":
    main()
