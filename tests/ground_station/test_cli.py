"""``borderwatch user add``, ``serve`` (a real process) and ``replay`` argument handling."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from borderwatch_cli.main import app
from ground_station.demo import BORDERWATCH_COMMAND

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp_path: Path, port: int = 8000) -> Path:
    config = tmp_path / "station.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[http]\nport = {port}\n'
        '[organisation]\nslug = "hzs-olk"\nname = "HZS"\ncountry = "CZ"\n'
        '[[vehicles]]\nslug = "sim-1"\nmavlink_url = "udpin://127.0.0.1:14999"\n',
        encoding="utf-8",
    )
    return config


def test_user_add_creates_the_first_admin(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    result = runner.invoke(
        app,
        ["user", "add", "chief", "--role", "admin", "--password-stdin", "-c", str(config)],
        input="a-good-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "created admin 'chief' in organisation 'hzs-olk'" in result.output
    again = runner.invoke(
        app,
        ["user", "add", "chief", "--role", "admin", "--password-stdin", "-c", str(config)],
        input="another-password\n",
    )
    assert again.exit_code == 1 and "already exists" in again.output
    weak = runner.invoke(
        app, ["user", "add", "bob", "--role", "pilot", "--password-stdin", "-c", str(config)], input="short\n"
    )
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output
    bad_role = runner.invoke(
        app,
        ["user", "add", "bob", "--role", "king", "--password-stdin", "-c", str(config)],
        input="x" * 12 + "\n",
    )
    assert bad_role.exit_code == 2 and "--role must be one of" in bad_role.output
    partner = runner.invoke(
        app,
        [
            "user",
            "add",
            "jan",
            "--role",
            "partner_viewer",
            "--organisation",
            "kmp-nysa",
            "--country",
            "PL",
            "--password-stdin",
            "-c",
            str(config),
        ],
        input="a-good-password\n",
    )
    assert partner.exit_code == 0 and "'kmp-nysa'" in partner.output


def test_bad_config_is_reported_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("http:\n  port: lots\n", encoding="utf-8")
    result = runner.invoke(
        app, ["user", "add", "x", "--role", "admin", "--password-stdin", "-c", str(bad)], input=""
    )
    assert result.exit_code == 2
    assert "http.port" in result.output and "Traceback" not in result.output


def test_replay_needs_a_known_vehicle(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    tlog = tmp_path / "x.tlog"
    tlog.write_bytes(b"")
    result = runner.invoke(app, ["replay", str(tlog), "--vehicle", "ghost", "-c", str(config)])
    assert result.exit_code == 2 and "no vehicle 'ghost'" in result.output and "sim-1" in result.output
    empty = runner.invoke(app, ["replay", str(tlog), "--vehicle", "sim-1", "-c", str(config)])
    assert empty.exit_code == 1 and "error:" in empty.output


@pytest.mark.timeout(90)
def test_serve_runs_authenticates_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    added = runner.invoke(
        app,
        ["user", "add", "chief", "--role", "admin", "--password-stdin", "-c", str(config)],
        input="a-good-password\n",
    )
    assert added.exit_code == 0, added.output
    process = subprocess.Popen(
        [*BORDERWATCH_COMMAND, "serve", "-c", str(config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "service did not come up"
            time.sleep(0.2)
        assert httpx.get(f"{base}/api/vehicles").status_code == 401
        token = httpx.post(
            f"{base}/api/auth/token", data={"username": "chief", "password": "a-good-password"}
        ).json()
        vehicles = httpx.get(
            f"{base}/api/vehicles", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        assert vehicles.status_code == 200 and vehicles.json()[0]["vehicle_id"] == "sim-1"
        assert '<form id="login">' in httpx.get(f"{base}/status").text  # the plain status page
        home = httpx.get(f"{base}/")  # the web UI, or how to build it
        assert 'id="login-form"' in home.text if home.status_code == 200 else "scripts/setup.sh" in home.text
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "borderwatch ground station"
    finally:
        os.kill(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert (tmp_path / "data" / "jwt-secret").is_file()


def test_serve_reports_a_locked_database_in_one_line(tmp_path: Path) -> None:
    import sqlite3

    config = write_config(tmp_path, free_port())
    config.write_text(config.read_text() + "[storage]\nbusy_timeout_ms = 200\n", encoding="utf-8")
    created = runner.invoke(
        app,
        ["user", "add", "chief", "--role", "admin", "--password-stdin", "-c", str(config)],
        input="a-good-password\n",
    )
    assert created.exit_code == 0, created.output
    blocker = sqlite3.connect(tmp_path / "data" / "borderwatch.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        result = subprocess.run(
            [*BORDERWATCH_COMMAND, "serve", "-c", str(config)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert result.returncode == 1
    assert (
        "is locked by another process" in result.stderr and "Traceback" not in result.stderr + result.stdout
    )


def test_user_disable_delete_revoke_from_the_cli(tmp_path: Path) -> None:
    """Ending an account without the service running: audited, refresh tokens revoked."""
    import asyncio

    from ground_station.auth.tokens import _hash
    from ground_station.config import load_settings
    from ground_station.store.models import AuditAction
    from ground_station.store.sqlite import open_sqlite_store

    config = write_config(tmp_path)
    for name in ("chief", "bob"):
        added = runner.invoke(
            app,
            ["user", "add", name, "--role", "pilot", "--password-stdin", "-c", str(config)],
            input="a-good-password\n",
        )
        assert added.exit_code == 0, added.output
    settings = load_settings(config)

    async def add_refresh_token(username: str) -> None:
        from datetime import UTC, datetime, timedelta

        from ground_station.store.models import RefreshTokenRecord

        store = await open_sqlite_store(settings.sqlite_path)
        user = await store.users.by_username(username)
        assert user is not None
        now = datetime.now(UTC)
        await store.refresh_tokens.add(
            RefreshTokenRecord(_hash(username), user.id, "fam", now, now + timedelta(days=1), None)
        )
        await store.close()

    asyncio.run(add_refresh_token("bob"))
    revoked = runner.invoke(app, ["user", "revoke", "bob", "-c", str(config)])
    assert revoked.exit_code == 0 and "1 refresh token(s) revoked" in revoked.output, revoked.output
    disabled = runner.invoke(app, ["user", "disable", "bob", "-c", str(config)])
    assert disabled.exit_code == 0, disabled.output
    deleted = runner.invoke(app, ["user", "delete", "chief", "-c", str(config)])
    assert deleted.exit_code == 0, deleted.output
    missing = runner.invoke(app, ["user", "delete", "nobody", "-c", str(config)])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output

    async def check() -> None:
        store = await open_sqlite_store(settings.sqlite_path)
        bob = await store.users.by_username("bob")
        assert bob is not None and bob.disabled
        assert await store.users.by_username("chief") is None
        token = await store.refresh_tokens.get(_hash("bob"))
        assert token is not None and token.revoked_at is not None
        actions = {(e.action, e.target) for e in await store.audit.find()}
        assert {
            (AuditAction.SESSIONS_REVOKED, "bob"),
            (AuditAction.USER_DISABLED, "bob"),
            (AuditAction.USER_DELETED, "chief"),
        } <= actions
        await store.close()

    asyncio.run(check())


def test_link_sign_refuses_unknown_vehicles_and_a_busy_link(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    unknown = runner.invoke(app, ["link", "sign", "nope", "-c", str(config)])
    assert unknown.exit_code == 2 and "no vehicle 'nope'" in unknown.output
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 14999))  # the configured link's port, as a running service would hold it
    try:
        refused = runner.invoke(app, ["link", "sign", "sim-1", "--timeout", "1", "-c", str(config)])
    finally:
        busy.close()
    assert refused.exit_code == 1 and "stop `borderwatch serve` first" in refused.output, refused.output
    assert not (tmp_path / "data" / "signing" / "sim-1.key").exists()
