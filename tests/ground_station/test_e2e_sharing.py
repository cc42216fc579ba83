"""Two centres as real processes (CZ: HZS Olomouc with simulated drones; PL: gmina Nysa), partnered by
mutual TLS on 127.0.0.1. What crosses is checked by the order of events, never by how long it took:

1. without an incident PL receives only positions inside the agreed area, nothing else;
2. a CZ incident unlocks telemetry (and raw video permission); closing it revokes both at once;
3. every exchange is audited on both sides, both chains verify, a tampered row is pinpointed.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ground_station.demo import BORDERWATCH_COMMAND
from tests.conftest import REPO
from tests.ground_station.test_e2e_support import (
    ADMIN_PASSWORD,
    Api,
    ServiceProcess,
    SimProcess,
    add_user,
    eventually,
    free_tcp_port,
    free_udp_base,
    start_sim,
    write_scenario,
    write_station_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.sim_only, pytest.mark.timeout(300)]

CZ, PL = "hzs-olomouc", "gmina-nysa"
INSIDE = (17.10, 50.33)
OUTSIDE = (17.19, 50.24)
AREA = {
    "ring": [[17.05, 50.30], [17.15, 50.30], [17.15, 50.36], [17.05, 50.36], [17.05, 50.30]],
    "label": "test",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BORDERWATCH_COMMAND, *args], capture_output=True, text=True, cwd=REPO, timeout=60)


def centre_config(
    path: Path, data: Path, port: int, slug: str, country: str, sharing: list[str], sim: SimProcess | None
) -> Path:
    write_station_config(path, data, port, sim.ready if sim else None, [])
    text = (
        path.read_text()
        .replace('slug = "hzs-olk"', f'slug = "{slug}"')
        .replace('country = "CZ"', f'country = "{country}"')
    )
    path.write_text(text + "\n".join(sharing) + "\n", encoding="utf-8")
    return path


@dataclass
class Centres:
    cz: ServiceProcess
    pl: ServiceProcess
    cz_db: Path
    pl_db: Path


@pytest.fixture(scope="module")
def centres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centres]:
    root = tmp_path_factory.mktemp("sharing-e2e")
    for slug in (CZ, PL):
        made = run("federation", "init", slug, "--out", str(root / slug / "fed"))
        assert made.returncode == 0, made.stderr
    scenario = write_scenario(
        root / "scenario.yaml", {"sim-1": (*INSIDE, 600.0), "sim-2": (*OUTSIDE, 450.0)}, {}
    )
    sim = start_sim(root / "sim", scenario, vehicles=2, speed=1.0, base_port=free_udp_base(2))
    fed_port = free_tcp_port()
    cz_cfg = centre_config(
        root / "cz.toml",
        root / CZ / "data",
        free_tcp_port(),
        CZ,
        "CZ",
        [
            "[sharing]",
            "enabled = true",
            f"listen_port = {fed_port}",
            f'cert_file = "{root / CZ / "fed" / (CZ + ".pem")}"',
            f'key_file = "{root / CZ / "fed" / (CZ + "-key.pem")}"',
            f'ca_file = "{root / CZ / "fed" / "ca.pem"}"',
            "digest_interval_s = 1.0",
            "[[sharing.partners]]",
            f'centre = "{PL}"',
            f'ca_file = "{root / PL / "fed" / (PL + "-ca.pem")}"',
        ],
        sim,
    )
    pl_cfg = centre_config(
        root / "pl.toml",
        root / PL / "data",
        free_tcp_port(),
        PL,
        "PL",
        [
            "[sharing]",
            "enabled = true",
            f'cert_file = "{root / PL / "fed" / (PL + ".pem")}"',
            f'key_file = "{root / PL / "fed" / (PL + "-key.pem")}"',
            f'ca_file = "{root / PL / "fed" / "ca.pem"}"',
            "digest_interval_s = 1.0",
            "[[sharing.partners]]",
            f'centre = "{CZ}"',
            f'ca_file = "{root / CZ / "fed" / (CZ + "-ca.pem")}"',
            f'url = "wss://127.0.0.1:{fed_port}"',
        ],
        None,
    )
    for cfg in (cz_cfg, pl_cfg):
        add_user(cfg, "e2e-admin", "admin", ADMIN_PASSWORD)
    cz = ServiceProcess(cz_cfg, int(cz_cfg.read_text().split("port = ")[1].split()[0]), root / "cz.log")
    pl = ServiceProcess(pl_cfg, int(pl_cfg.read_text().split("port = ")[1].split()[0]), root / "pl.log")
    try:
        cz.start()
        pl.start()
        yield Centres(
            cz, pl, root / CZ / "data" / "borderwatch.sqlite3", root / PL / "data" / "borderwatch.sqlite3"
        )
    finally:
        codes = (pl.stop(), cz.stop())
        sim.stop()
        assert all(code in (0, None) for code in codes), cz.log_tail() + pl.log_tail()


async def login(service: ServiceProcess) -> Api:
    api = Api(service.base_url, "e2e-admin", ADMIN_PASSWORD)
    await api.login()
    return api


def items(data: list[dict[str, Any]], kind: str, vehicle: str | None = None) -> list[dict[str, Any]]:
    return [i for i in data if i["kind"] == kind and (vehicle is None or i.get("vehicle_id") == vehicle)]


async def audit_rows(api: Api) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await api.ok("GET", "/api/audit", params={"limit": 5000})
    return sorted(rows, key=lambda r: r["id"])


def first(rows: list[dict[str, Any]], action: str, **detail: Any) -> dict[str, Any]:
    for row in rows:
        if row["action"] == action and all(row["detail"].get(k) == v for k, v in detail.items()):
            return row
    raise AssertionError(f"no {action} row with {detail}")


async def test_cross_border_sharing_end_to_end(centres: Centres) -> None:
    cz, pl = await login(centres.cz), await login(centres.pl)
    try:
        now = datetime.now(UTC)
        # nothing is shared before an agreement exists (default: nothing)
        await eventually(lambda: cz.ok("GET", "/api/sharing/status"), "the federation link up", 60)

        async def link_up() -> bool:
            status = await cz.ok("GET", "/api/sharing/status")
            return bool(status["links"][PL]["up"]) and status["refused_items"] > 0

        await eventually(link_up, "the CZ-PL link up with items refused for lack of an agreement")
        assert await pl.ok("GET", "/api/sharing/partner-data") == []

        agreement = await cz.ok(
            "POST",
            "/api/sharing/agreements",
            json={
                "partner": PL,
                "legal_basis": "GDPR art. 6(1)(e); smlouva HZS-gmina Nysa o vzájemné pomoci",
                "valid_from": (now - timedelta(hours=1)).isoformat(),
                "valid_until": (now + timedelta(days=30)).isoformat(),
                "normal": {
                    "data_classes": ["positions", "anonymised_video"],
                    "area": AREA,
                    "retention_s": 600,
                },
                "incident": {"data_classes": ["telemetry", "raw_video"], "area": AREA, "retention_s": 300},
            },
        )
        variant = await cz.ok(
            "GET", "/api/sharing/video-variant", params={"partner": PL, "lon": 17.1, "lat": 50.33}
        )
        assert variant["variant"] == "anonymised_video"

        # 1. positions of sim-1 (inside the area) arrive, labelled; sim-2 (outside) never, telemetry never
        async def inside_positions() -> list[dict[str, Any]]:
            data = await pl.ok("GET", "/api/sharing/partner-data")
            return items(data, "position", "sim-1")

        received = await eventually(inside_positions, "sim-1 positions at PL")
        assert received[0]["origin"] == CZ and received[0]["agreement_id"] == agreement["id"]
        assert received[0]["data_class"] == "positions" and received[0]["situation"] == "normal"

        async def more_positions_after(seq: int) -> list[dict[str, Any]]:
            data = await pl.ok("GET", "/api/sharing/partner-data")
            return data if any(i["seq"] > seq + 20 for i in items(data, "position", "sim-1")) else []

        data = await eventually(lambda: more_positions_after(received[0]["seq"]), "20 more frames at PL")
        assert items(data, "position", "sim-2") == [] and items(data, "telemetry") == []

        # PL asks for raw video and for positions in a wider area: both refused by CZ, audited on both sides
        wider = {"ring": [[16.9, 50.1], [17.4, 50.1], [17.4, 50.5], [16.9, 50.5], [16.9, 50.1]]}
        await pl.ok("POST", "/api/sharing/requests", json={"partner": CZ, "data_classes": ["raw_video"]})
        await pl.ok(
            "POST",
            "/api/sharing/requests",
            json={"partner": CZ, "data_classes": ["positions"], "area": wider},
        )

        async def refusals_at_pl() -> list[dict[str, Any]]:
            rows = [r for r in await audit_rows(pl) if r["action"] == "share_refused"]
            return rows if len(rows) >= 2 else []

        refused_rows = await eventually(refusals_at_pl, "PL's requests refused by CZ")
        assert {(r["detail"]["data_class"], r["detail"]["refusal"]) for r in refused_rows} == {
            ("raw_video", "class_not_agreed"),
            ("positions", "outside_area"),
        }

        # 2. an incident declared by CZ unlocks telemetry and raw video permission
        incident = await cz.ok(
            "POST",
            "/api/sharing/incidents",
            json={
                "area": AREA,
                "starts_at": (now - timedelta(minutes=5)).isoformat(),
                "ends_at": (now + timedelta(hours=2)).isoformat(),
                "reason": "povodeň na Bělé / powódź na Białej",
            },
        )
        variant = await cz.ok(
            "GET", "/api/sharing/video-variant", params={"partner": PL, "lon": 17.1, "lat": 50.33}
        )
        assert variant == {
            "variant": "raw_video",
            "agreement_id": agreement["id"],
            "incident_id": incident["id"],
        }

        async def telemetry() -> list[dict[str, Any]]:
            return items(await pl.ok("GET", "/api/sharing/partner-data"), "telemetry", "sim-1")

        unlocked = await eventually(telemetry, "sim-1 telemetry at PL during the incident")
        assert unlocked[0]["incident_id"] == incident["id"] and unlocked[0]["situation"] == "incident"
        assert items(await pl.ok("GET", "/api/sharing/partner-data"), "telemetry", "sim-2") == []

        # closing it revokes at once: telemetry disappears from the PL view, raw video is refused
        await cz.ok("POST", f"/api/sharing/incidents/{incident['id']}/close")
        variant = await cz.ok(
            "GET", "/api/sharing/video-variant", params={"partner": PL, "lon": 17.1, "lat": 50.33}
        )
        assert variant["variant"] == "anonymised_video"

        async def revoked() -> list[dict[str, Any]]:
            data = await pl.ok("GET", "/api/sharing/partner-data")
            return data if not items(data, "telemetry") else []

        revoked_view = await eventually(revoked, "telemetry revoked at PL")
        last_seq = max(i["seq"] for i in items(revoked_view, "position"))
        later = await eventually(
            lambda: more_positions_after(last_seq), "positions keep flowing after the close"
        )
        assert items(later, "telemetry") == []

        # 3. both sides audited every step, in order
        cz_rows, pl_rows = await audit_rows(cz), await audit_rows(pl)
        created = first(cz_rows, "agreement_created")
        started = first(cz_rows, "share_started", data_class="positions", situation="normal")
        declared = first(cz_rows, "incident_declared")
        unlocked_row = first(cz_rows, "share_started", data_class="telemetry", incident_id=incident["id"])
        closed = first(cz_rows, "incident_closed")
        ended = first(cz_rows, "share_ended", data_class="telemetry", reason="incident closed")
        assert (
            created["id"] < started["id"] < declared["id"] < unlocked_row["id"] < closed["id"] < ended["id"]
        )
        assert started["detail"]["legal_basis"].startswith("GDPR")
        refused = first(cz_rows, "share_refused", subject="sim-2", refusal="outside_area")
        assert refused["target"] == PL
        assert first(cz_rows, "share_refused", requested="raw_video", refusal="class_not_agreed")

        got = first(pl_rows, "share_received", event="started", data_class="positions")
        partner_declared = first(pl_rows, "incident_declared", side="partner")
        got_telemetry = first(pl_rows, "share_received", event="started", data_class="telemetry")
        pl_revoked = first(pl_rows, "share_ended", side="receiver", incident_id=incident["id"])
        assert got["id"] < partner_declared["id"] < got_telemetry["id"] < pl_revoked["id"]
        assert got["detail"]["agreement_id"] == agreement["id"]

        # both chains verify; PL holds CZ's exchanged chain head
        for api in (cz, pl):
            report = await api.ok("GET", "/api/sharing/audit/verify")
            assert report["ok"] and report["rows"] > 5, report
        heads = [r for r in pl_rows if r["action"] == "partner_chain_head"]
        assert heads, "PL never received CZ's chain head"
        anchor = f"{heads[-1]['detail']['row_id']}:{heads[-1]['detail']['row_hash']}"
    finally:
        await cz.close()
        await pl.close()

    # offline: the exported head anchors CZ's chain; a changed row is pinpointed
    verified = run("audit", "verify", "--db", str(centres.cz_db), "--anchor", anchor)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with sqlite3.connect(centres.cz_db) as raw:
        raw.execute('UPDATE audit SET detail = \'{"legal_basis": "none"}\' WHERE id = ?', (started["id"],))
    tampered = run("audit", "verify", "--db", str(centres.cz_db), "--anchor", anchor)
    assert tampered.returncode == 1
    assert f"row {started['id']}: changed" in tampered.stdout
