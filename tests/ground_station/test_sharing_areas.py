"""Agreement areas from the region's border, and the audit CLI (verify exit codes, CSV/JSON export)."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch_cli.main import app
from ground_station.sharing.areas import border_band
from ground_station.store.models import AuditAction, AuditEntry
from ground_station.store.sqlite import open_sqlite_store
from tests.ground_station.test_api_support import shared_region


def test_border_band_holds_points_near_the_border_only() -> None:
    border = shared_region().border
    band = border_band(border, 10.0)
    near = [(17.20, 50.32), (17.05, 50.30)]
    far = [(17.25, 49.90), (17.70, 50.80)]
    distances = border.distance_to_border_m([p[0] for p in near + far], [p[1] for p in near + far])
    for (lon, lat), metres in zip(near + far, distances, strict=True):
        assert band.contains(lon, lat) == (metres < 9_500), (lon, lat, metres)
    assert band.label == "10 km of the border" and len(band.ring) < 5000


async def _db(path: Path) -> None:
    store = await open_sqlite_store(path)
    try:
        for index in range(4):
            await store.audit.append(
                AuditEntry(
                    datetime(2026, 6, 1, tzinfo=UTC), "dpo", AuditAction.AUDIT_EXPORTED, None, {"i": index}
                )
            )
    finally:
        await store.close()


async def test_audit_cli_verify_and_export(tmp_path: Path) -> None:
    db = tmp_path / "station.sqlite3"
    await _db(db)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert ok.exit_code == 0 and ok.stdout.startswith("OK: 4 rows"), ok.stdout
    for name in ("chain.csv", "chain.json"):
        exported = runner.invoke(app, ["audit", "export", str(tmp_path / name), "--db", str(db)])
        assert exported.exit_code == 0, exported.stdout
    rows = list(csv.DictReader((tmp_path / "chain.csv").open()))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"] and rows[1]["prev_hash"] == rows[0]["row_hash"]
    assert json.loads((tmp_path / "chain.json").read_text())[3]["row_hash"] == rows[3]["row_hash"]
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM audit WHERE id = 2")
    broken = runner.invoke(app, ["audit", "verify", "--db", str(db)])
    assert broken.exit_code == 1 and "row 3: removed" in broken.stdout
    bad_anchor = runner.invoke(app, ["audit", "verify", "--db", str(db), "--anchor", "nonsense"])
    assert bad_anchor.exit_code == 2


def test_a_vanishing_band_is_refused_not_a_server_error() -> None:
    """Found by schemathesis: km=5e-324 made an empty band and a 500; the route now asks for >= 0.1 km and
    the function says what is wrong."""
    with pytest.raises(ValueError, match="is empty"):
        border_band(shared_region().border, 5e-324)
