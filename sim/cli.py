"""``borderwatch sim ...``: run the simulator, inject faults into a running one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import httpx
import typer

from geodata.errors import GeodataError
from sim.faults import FaultKind
from sim.ready import DEFAULT_BASE_PORT, default_ready_path, read_ready_json
from sim.scenario import ScenarioError

sim_app = typer.Typer(no_args_is_help=True, help="PX4-compatible vehicle and camera simulator")


@sim_app.command("run")
def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="scenario YAML (default: the Jeseník-Nysa demo)")
    ] = None,
    vehicles: Annotated[
        int | None, typer.Option("--vehicles", min=1, max=250, help="number of vehicles")
    ] = None,
    speed: Annotated[
        float, typer.Option("--speed", min=0.01, max=1000.0, help="simulation speed factor")
    ] = 1.0,
    base_port: Annotated[
        int, typer.Option("--base-port", min=1, max=65000, help="vehicle i sends MAVLink to 127.0.0.1:P+i")
    ] = DEFAULT_BASE_PORT,
    ready_json: Annotated[
        Path | None, typer.Option("--ready-json", help="where to write the ready-json")
    ] = None,
    control_port: Annotated[
        int, typer.Option("--control-port", min=0, max=65535, help="0 = any free port")
    ] = 0,
    dem: Annotated[Path | None, typer.Option("--dem", help="DEM GeoTIFF to fly over")] = None,
    region: Annotated[str | None, typer.Option("--region", help="region whose DEM search to use")] = None,
    no_cameras: Annotated[bool, typer.Option("--no-cameras", help="do not start camera streams")] = False,
    camera_ports_ephemeral: Annotated[
        bool,
        typer.Option("--camera-ports-ephemeral", help="cameras on free ports (tests), not 5600+i/8081+i"),
    ] = False,
) -> None:
    """Runs the simulator until Ctrl-C / SIGTERM, printing each vehicle's MAVLink URL."""
    from sim.parent_watch import die_with_parent
    from sim.runner import RunOptions, run_until_stopped  # the whole simulator loads only to run it

    die_with_parent()  # started by `borderwatch demo`: do not outlive it, even after its kill -9

    options = RunOptions(
        scenario_path=scenario,
        vehicles=vehicles,
        speed=speed,
        base_port=base_port,
        ready_json=ready_json,
        control_port=control_port,
        dem=dem,
        region=region,
        cameras=not no_cameras,
        camera_ports_ephemeral=camera_ports_ephemeral,
    )
    try:
        asyncio.run(run_until_stopped(options, say=lambda text: typer.echo(text, err=False)))
    except (ScenarioError, GeodataError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass


@sim_app.command("fault")
def fault(
    vehicle: Annotated[str, typer.Argument(help="vehicle slug, e.g. sim-1")],
    kind: Annotated[FaultKind, typer.Argument(help="gps, battery, motor, wind or link")],
    seconds: Annotated[
        float | None, typer.Option("--seconds", min=0.001, help="clear after S seconds")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="end the fault now")] = False,
    ready_json: Annotated[
        Path | None, typer.Option("--ready-json", help="the running simulator's ready-json")
    ] = None,
    control_url: Annotated[str | None, typer.Option("--control-url", help="overrides the ready-json")] = None,
    wind_speed: Annotated[
        float | None, typer.Option("--wind-speed", min=0, max=60, help="m/s, wind only")
    ] = None,
    wind_from: Annotated[
        float | None, typer.Option("--wind-from", min=0, max=359.99, help="deg, wind only")
    ] = None,
) -> None:
    """Injects (or clears) a fault in a running simulator through its control API."""
    url = control_url
    if url is None:
        path = ready_json or default_ready_path()
        if not path.exists():
            typer.echo(
                f"error: no running simulator found ({path} does not exist); pass --control-url", err=True
            )
            raise typer.Exit(2)
        try:
            url = read_ready_json(path).control_url
        except ValueError as exc:
            typer.echo(f"error: {path}: not a simulator ready-json ({exc})", err=True)
            raise typer.Exit(2) from None
    try:
        if clear:
            response = httpx.delete(f"{url}/vehicles/{vehicle}/faults/{kind.value}", timeout=5)
        else:
            body: dict[str, object] = {"kind": kind.value, "seconds": seconds}
            if wind_speed is not None:
                body["wind_speed_mps"] = wind_speed
            if wind_from is not None:
                body["wind_from_deg"] = wind_from
            response = httpx.post(f"{url}/vehicles/{vehicle}/faults", json=body, timeout=5)
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach the simulator at {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except json.JSONDecodeError:
            detail = response.text
        typer.echo(f"error: {detail}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(response.json()))


def register(app: typer.Typer) -> None:
    """Adds this package's commands to the ``borderwatch`` app."""
    app.add_typer(sim_app, name="sim")
