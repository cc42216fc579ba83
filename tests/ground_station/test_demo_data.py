"""Demo accounts live only in demo data directories (issue 10, point 4)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch_cli.main import app
from ground_station.app import create_app, no_links
from ground_station.config import load_settings
from ground_station.demo import create_demo_users
from ground_station.demo_data import DEMO_MARKER, DemoDataError, claim_demo_data_dir, is_demo_data_dir

runner = CliRunner()


def config_for(tmp_path: Path, data_dir: Path) -> Path:
    config = tmp_path / "station.toml"
    config.write_text(
        f'data_dir = "{data_dir}"\n[organisation]\nslug = "hzs-olk"\nname = "HZS"\ncountry = "CZ"\n',
        encoding="utf-8",
    )
    return config


def deployment(tmp_path: Path) -> Path:
    """A real station's data directory: created by `user add`, so it has a database and no marker."""
    data = tmp_path / "station-data"
    added = runner.invoke(
        app,
        [
            "user",
            "add",
            "chief",
            "--role",
            "admin",
            "--password-stdin",
            "-c",
            str(config_for(tmp_path, data)),
        ],
        input="a-good-password\n",
    )
    assert added.exit_code == 0, added.output
    return data


async def test_demo_users_are_created_and_reset_only_in_a_demo_directory(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    settings = load_settings(data_dir=demo_dir)
    first = await create_demo_users(settings)
    assert is_demo_data_dir(demo_dir)
    second = await create_demo_users(settings)  # a restart resets the passwords
    assert [c[0] for c in first] == [c[0] for c in second]
    assert all(a[2] != b[2] for a, b in zip(first, second, strict=True))


def test_demo_refuses_a_deployments_data_directory(tmp_path: Path) -> None:
    data = deployment(tmp_path)
    settings = load_settings(data_dir=data)
    with pytest.raises(DemoDataError, match="never touches a deployment"):
        claim_demo_data_dir(data, settings.sqlite_path, settings.jwt_secret_file)
    assert not (data / DEMO_MARKER).exists()
    # the real command refuses before it starts a simulator or writes anything
    refused = runner.invoke(app, ["demo", "--config", str(config_for(tmp_path, data)), "--no-cameras"])
    assert refused.exit_code == 2 and "never touches a deployment" in refused.output, refused.output
    assert not (data / DEMO_MARKER).exists()


def test_serve_refuses_demo_accounts_in_a_non_demo_directory(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    asyncio.run(create_demo_users(load_settings(data_dir=demo_dir)))
    (demo_dir / DEMO_MARKER).unlink()  # e.g. a demo directory later reused as a deployment's
    settings = load_settings(data_dir=demo_dir)
    station = create_app(settings, links_factory=no_links, region_loader=None)

    async def start() -> None:
        async with station.router.lifespan_context(station):
            pass

    with pytest.raises(DemoDataError, match="demo accounts"):
        asyncio.run(start())
    refused = runner.invoke(app, ["serve", "--config", str(config_for(tmp_path, demo_dir))])
    assert refused.exit_code == 2 and "borderwatch user delete" in refused.output, refused.output
