"""``borderwatch serve | demo | user ... | replay``: the service's command-line edge."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import re
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ground_station.config import ConfigError, StationSettings, load_settings

if TYPE_CHECKING:  # the demo's modules load only when the demo runs
    from ground_station.auth.roles import Role
    from ground_station.demo import SimReady

user_app = typer.Typer(help="Manage ground-station users", no_args_is_help=True)
link_app = typer.Typer(help="Vehicle links: MAVLink 2 signing keys", no_args_is_help=True)
video_app = typer.Typer(help="Video streams", no_args_is_help=True)


def _settings(config: Path | None, **overrides: object) -> StationSettings:
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


async def _serve(settings: StationSettings, on_started: object = None) -> None:
    import uvicorn

    from ground_station.app import create_app

    await _check_storage(settings)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.http.host,
            port=settings.http.port,
            log_level="info",
            lifespan="on",
            # Telemetry frames are small JSON sent at a high rate to many clients: deflating each one
            # costs the fan-out more CPU than the bytes it saves on a LAN or loopback.
            ws_per_message_deflate=False,
            # clients send only small control messages (auth, subscribe); a 16 MiB frame is abuse
            ws_max_size=64 * 1024,
        )
    )
    install_token_redaction()  # after uvicorn.Config, which (re)configures its loggers
    # We own SIGINT/SIGTERM: uvicorn would re-raise them after shutting down, killing this process
    # before the demo's simulator (or anything else in ``finally``) is stopped.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _request_exit, server)
    task = asyncio.create_task(server.serve(sockets=_listen_sockets(settings)))
    while not server.started and not task.done():  # noqa: ASYNC110 (uvicorn offers no started event)
        await asyncio.sleep(0.05)
    if server.started and callable(on_started):
        on_started()
    await task
    if not server.started:
        raise _fail(
            f"the service did not start on {settings.http.host}:{settings.http.port} (see the log above)"
        )


def _listen_sockets(settings: StationSettings) -> list[socket.socket] | None:
    """With video on, the listening socket gets a fixed send buffer, which the connections inherit:
    Linux otherwise lets a connection's send buffer grow to megabytes, and a live MJPEG stream to a
    viewer slower than the camera would then pile seconds of pictures into it. Bounded, the server's
    "send the newest picture" rule works: it waits for room and then sends what is newest."""
    if not settings.video.enabled:
        return None
    host, port = settings.http.host, settings.http.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.video.http_send_buffer_bytes)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _fail(f"the service cannot listen on {host}:{port}: {exc.strerror}") from None
    return [sock]


_TOKEN_IN_QUERY = re.compile(r"((?:token|ticket)=)[^&\s\"']+")


class _RedactTokens(logging.Filter):
    """Access tokens given as ``?token=`` (WebSocket) and stream tickets (``?ticket=``, single-use but
    still a credential until spent) must not end up in log files."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message or "ticket=" in message:
            if isinstance(record.args, tuple) and record.args:
                # uvicorn's access formatter unpacks the arguments (client, method, path, version,
                # status): redact inside them and keep their shape.
                record.args = tuple(
                    _TOKEN_IN_QUERY.sub(r"\1<redacted>", a) if isinstance(a, str) else a for a in record.args
                )
            else:
                record.msg, record.args = _TOKEN_IN_QUERY.sub(r"\1<redacted>", message), ()
        return True


def install_token_redaction() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactTokens) for f in logger.filters):
            logger.addFilter(_RedactTokens())


async def _check_storage(settings: StationSettings) -> None:
    """Opens (and migrates) the database and the JWT secret before serving, so a locked database,
    a full disk or an unusable secret file is one clear line instead of a startup traceback."""
    from ground_station.auth.secret import SecretFileError, load_or_create_secret
    from ground_station.demo_data import DemoDataError, refuse_demo_accounts
    from ground_station.links.signing import SigningKeyError, key_path, load_key
    from ground_station.store.errors import StoreError
    from ground_station.store.sqlite import open_sqlite_store

    try:
        for vehicle in settings.vehicles:  # an unusable signing key is one line, not a startup traceback
            await asyncio.to_thread(load_key, key_path(settings.data_dir, vehicle.slug))
    except SigningKeyError as exc:
        raise _fail(str(exc)) from None
    try:
        store = await open_sqlite_store(settings.sqlite_path, settings.storage.busy_timeout_ms)
        try:
            await store.database.check_writable()
            await refuse_demo_accounts(store.users, settings.data_dir)
        finally:
            await store.close()
        await asyncio.to_thread(load_or_create_secret, settings.jwt_secret_file)
    except (StoreError, SecretFileError, OSError) as exc:
        raise _fail(str(exc)) from None
    except DemoDataError as exc:
        raise _fail(str(exc), 2) from None


def _request_exit(server: object) -> None:
    """First signal: graceful shutdown; a second one forces it."""
    if getattr(server, "should_exit", False):
        server.force_exit = True  # type: ignore[attr-defined]
    server.should_exit = True  # type: ignore[attr-defined]


def serve(
    config: Path | None = typer.Option(None, "--config", "-c", help="TOML or YAML settings file"),
    host: str | None = typer.Option(None, help="bind address (default 127.0.0.1)"),
    port: int | None = typer.Option(None, help="port (default 8000)"),
) -> None:
    """Run the ground-station service with the configured vehicles."""
    settings = _settings(config)
    if host is not None or port is not None:
        settings = _settings(
            config, http={"host": host or settings.http.host, "port": port or settings.http.port}
        )
    try:
        asyncio.run(_serve(settings, lambda: typer.echo(f"borderwatch serving on {_url(settings)}")))
    except KeyboardInterrupt:
        pass


def _url(settings: StationSettings) -> str:
    return f"http://{settings.http.host}:{settings.http.port}"


def demo(
    vehicles: int = typer.Option(3, min=1, max=200, help="simulated drones"),
    speed: float = typer.Option(1.0, min=0.1, max=100.0, help="simulation speed factor"),
    port: int = typer.Option(8000, min=0, max=65535, help="service port on 127.0.0.1"),
    scenario: str | None = typer.Option(
        None, help="simulator scenario file (default: the Jeseník-Nysa demo)"
    ),
    base_port: int | None = typer.Option(None, help="simulated vehicle i sends MAVLink to 127.0.0.1:P+i"),
    cameras: bool = typer.Option(True, "--cameras/--no-cameras", help="start the simulated camera streams"),
    camera_ports_ephemeral: bool = typer.Option(
        False, "--camera-ports-ephemeral", help="cameras on free ports (tests), not 5600+i/8081+i"
    ),
    data_dir: Path | None = typer.Option(None, help="where the demo keeps its database and tlogs"),
    config: Path | None = typer.Option(None, "--config", "-c", help="extra settings (region, organisation)"),
    patrol: bool = typer.Option(
        True, "--patrol/--no-patrol", help="fly each drone on an expanding-square patrol through the API"
    ),
) -> None:
    """Start simulated drones and the service on http://127.0.0.1:8000; Ctrl-C stops both."""
    options = DemoOptions(
        vehicles, speed, port, scenario, base_port, cameras, data_dir, config, patrol, camera_ports_ephemeral
    )
    try:
        asyncio.run(_demo(options))
    except KeyboardInterrupt:
        pass
    typer.echo("demo stopped")


@dataclass(frozen=True)
class DemoOptions:
    vehicles: int
    speed: float
    port: int
    scenario: str | None
    base_port: int | None
    cameras: bool
    data_dir: Path | None
    config: Path | None
    patrol: bool = True
    camera_ports_ephemeral: bool = False


async def _demo(options: DemoOptions) -> None:
    from ground_station.demo import (
        DemoError,
        create_demo_users,
        demo_data_dir,
        demo_settings,
        start_simulator,
        terrain_notice,
    )
    from ground_station.demo_data import DemoDataError, claim_demo_data_dir

    directory = demo_data_dir(options.data_dir, options.config)
    try:  # before the simulator starts: a deployment's directory is refused at once
        probe = _settings(options.config, data_dir=directory)
        claim_demo_data_dir(directory, probe.sqlite_path, probe.jwt_secret_file)
    except DemoDataError as exc:
        raise _fail(str(exc), 2) from None
    typer.echo(f"starting the simulator with {options.vehicles} drone(s) at speed x{options.speed} ...")
    try:
        simulator = await start_simulator(
            directory / "sim",
            options.vehicles,
            options.speed,
            scenario=options.scenario,
            base_port=options.base_port,
            cameras=options.cameras,
            camera_ports_ephemeral=options.camera_ports_ephemeral,
        )
    except DemoError as exc:
        raise _fail(str(exc)) from None
    try:
        settings = demo_settings(simulator.ready, directory, options.port, options.config)
        notice = await asyncio.to_thread(terrain_notice, settings)
        try:
            credentials = await create_demo_users(settings)
        except DemoError as exc:
            raise _fail(str(exc), 2) from None

        def banner() -> None:
            lines = ["", "=" * 72, f"borderwatch demo: {_url(settings)}   (API docs: {_url(settings)}/docs)"]
            lines.append(f"vehicles: {', '.join(v.slug for v in settings.vehicles)}")
            if settings.cameras:
                lines.append(f"cameras: {', '.join(c.id for c in settings.cameras)}")
            lines.append("demo logins (new random passwords on every start):")
            lines += [f"  {name:<16} {role.value:<15} {password}" for name, role, password in credentials]
            lines.append(f"data: {directory}   simulator log: {simulator.log_path}")
            if notice:
                lines += [
                    "",
                    "!" * 72,
                    notice,
                    "Without terrain every AGL rule reports 'terrain unknown' as an error, so a mission",
                    "uploads only with a commander's audited override (override_reason).",
                    "!" * 72,
                ]
            lines += ["Ctrl-C stops the service and the simulator.", "=" * 72]
            typer.echo("\n".join(lines))
            if options.patrol:
                patrols.append(
                    asyncio.get_running_loop().create_task(
                        _start_patrols(settings, simulator.ready, credentials)
                    )
                )

        patrols: list[asyncio.Task[None]] = []
        try:
            await _serve(settings, banner)
        finally:
            for task in patrols:
                task.cancel()
            await asyncio.gather(*patrols, return_exceptions=True)
    finally:
        await simulator.stop()


async def _start_patrols(
    settings: StationSettings, ready: SimReady, credentials: list[tuple[str, Role, str]]
) -> None:
    """Demo drones fly on their own, driven through the API with the demo commander's login."""
    from ground_station.auth.roles import Role
    from ground_station.demo_patrol import PatrolLogin, PatrolVehicle, patrol_forever

    commander = next((c for c in credentials if c[1] is Role.COMMANDER), None)
    if commander is None:
        return
    vehicles = [
        PatrolVehicle(v.slug, v.home.lon, v.home.lat, v.home.alt_amsl_m)
        for v in ready.vehicles
        if v.home is not None
    ]
    login = PatrolLogin(_url(settings), commander[0], commander[2])
    await patrol_forever(login, vehicles, say=typer.echo)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="login name"),
    role: str = typer.Option(..., help="pilot | commander | partner_viewer | admin"),
    organisation: str | None = typer.Option(None, help="organisation slug (default: the station's)"),
    organisation_name: str | None = typer.Option(None, help="display name when creating the organisation"),
    country: str | None = typer.Option(None, help="ISO country code when creating the organisation"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """Create a user (the first admin too); the password is prompted, never a default."""
    from ground_station.auth.passwords import WeakPasswordError, check_password_strength
    from ground_station.auth.roles import Role

    settings = _settings(config)
    try:
        chosen_role = Role(role)
    except ValueError:
        raise _fail(f"--role must be one of {', '.join(r.value for r in Role)}, not {role!r}", 2) from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {username}: ")
        if getpass.getpass("repeat: ") != password:
            raise _fail("the passwords differ", 2)
    try:
        check_password_strength(password)
    except WeakPasswordError as exc:
        raise _fail(str(exc), 2) from None
    asyncio.run(
        _user_add(settings, username, password, chosen_role, organisation, organisation_name, country)
    )


async def _user_add(
    settings: StationSettings,
    username: str,
    password: str,
    role: object,
    organisation: str | None,
    organisation_name: str | None,
    country: str | None,
) -> None:
    from ground_station.auth.roles import Role
    from ground_station.auth.users import InvalidUsernameError, create_user
    from ground_station.store.errors import StoreError
    from ground_station.store.models import Organisation
    from ground_station.store.sqlite import open_sqlite_store

    assert isinstance(role, Role)
    own = settings.organisation
    slug = organisation or own.slug
    org = Organisation(
        slug,
        organisation_name or (own.name if slug == own.slug else slug),
        country or own.country,
    )
    try:
        store = await open_sqlite_store(settings.sqlite_path, settings.storage.busy_timeout_ms)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    try:
        user = await create_user(store.users, store.organisations, username, password, role, org)
    except (StoreError, InvalidUsernameError) as exc:
        raise _fail(str(exc)) from None
    finally:
        await store.close()
    typer.echo(f"created {user.role.value} {user.username!r} in organisation {user.organisation!r}")


_ACCOUNT_ACTIONS = ("disable", "enable", "delete", "revoke")


def _account_command(action: str) -> Callable[..., None]:
    def command(
        username: str = typer.Argument(..., help="login name"),
        config: Path | None = typer.Option(None, "--config", "-c"),
    ) -> None:
        settings = _settings(config)
        asyncio.run(_user_account(settings, action, username))

    command.__doc__ = {
        "disable": "Disable a user: no login, refresh tokens revoked, open WebSockets closed.",
        "enable": "Re-enable a disabled user.",
        "delete": "Delete a user (audit rows keep the name); refresh tokens revoked.",
        "revoke": "Log a user out everywhere: every refresh token revoked, open WebSockets closed.",
    }[action]
    return command


async def _user_account(settings: StationSettings, action: str, username: str) -> None:
    """Acts on the station's database directly; a running service's sockets notice on their re-check."""
    from ground_station.auth import accounts
    from ground_station.store.errors import StoreError
    from ground_station.store.sqlite import open_sqlite_store

    try:
        store = await open_sqlite_store(settings.sqlite_path, settings.storage.busy_timeout_ms)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    actor = f"cli:{getpass.getuser()}"
    now = datetime.now(UTC)
    try:
        if action == "disable":
            change = await accounts.disable_user(store, username, actor=actor, now=now)
        elif action == "enable":
            change = await accounts.enable_user(store, username, actor=actor, now=now)
        elif action == "delete":
            change = await accounts.delete_user(store, username, actor=actor, now=now)
        else:
            change = await accounts.revoke_sessions(store, username, actor=actor, now=now)
    except (accounts.UnknownUserError, StoreError) as exc:
        raise _fail(str(exc)) from None
    finally:
        await store.close()
    past = {"disable": "disabled", "enable": "enabled", "delete": "deleted", "revoke": "logged out"}[action]
    typer.echo(f"{past} {username!r}; {change.revoked_tokens} refresh token(s) revoked")


for _action in _ACCOUNT_ACTIONS:
    user_app.command(_action)(_account_command(_action))


def replay(
    tlog: Path = typer.Argument(..., exists=True, dir_okay=False, help="a recorded .tlog"),
    vehicle: str | None = typer.Option(None, help="configured vehicle slug whose link receives the replay"),
    target: str | None = typer.Option(None, help="where the station listens, e.g. 127.0.0.1:14540"),
    speed: float = typer.Option(1.0, min=0.01, max=1000.0),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """Replay a recorded flight into the running service as a live vehicle."""
    from ground_station.replay import replay_tlog
    from ground_station.tlog import TlogError

    settings = _settings(config)
    if target is None:
        chosen = [v for v in settings.vehicles if vehicle is None or v.slug == vehicle]
        if not chosen:
            known = ", ".join(v.slug for v in settings.vehicles) or "none configured"
            raise _fail(f"no vehicle {vehicle!r} in the configuration (known: {known}); or give --target", 2)
        target = _listen_address(chosen[0].mavlink_url)
    try:
        report = asyncio.run(replay_tlog(tlog, target, speed))
    except (TlogError, ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    typer.echo(f"replayed {tlog} to {target}: {report}")


def _listen_address(mavlink_url: str) -> str:
    """The station's own link URL -> the host:port the replay must send to."""
    scheme, _, rest = mavlink_url.partition("://")
    if scheme not in ("udpin", "udp"):
        raise _fail(f"replay needs a UDP link the station listens on, not {mavlink_url!r}; give --target", 2)
    return rest


@link_app.command("sign")
def link_sign(
    slug: str = typer.Argument(..., help="configured vehicle slug"),
    timeout: float = typer.Option(30.0, min=1.0, max=600.0, help="seconds to wait for the vehicle"),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """Make a MAVLink 2 signing key for a vehicle and install it (SETUP_SIGNING); the service must be
    stopped. From then on the service accepts only frames signed with it from that vehicle."""
    from ground_station.links.signing import SigningKeyError, key_path
    from ground_station.links.signing_setup import SigningSetupError, sign_vehicle

    settings = _settings(config)
    vehicle = next((v for v in settings.vehicles if v.slug == slug), None)
    if vehicle is None:
        raise _fail(f"no vehicle {slug!r} in the configuration", 2)
    scheme, _, rest = vehicle.mavlink_url.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("udpin", "udp") or not port.isdigit():
        raise _fail(f"signing setup needs a UDP link the station listens on, not {vehicle.mavlink_url!r}", 2)
    key_file = key_path(settings.data_dir, slug)
    typer.echo(f"waiting for {slug} on {host}:{port} ...")
    try:
        installed = asyncio.run(sign_vehicle((host, int(port)), key_file, timeout_s=timeout))
    except (SigningSetupError, SigningKeyError, OSError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"{slug} (system {installed.system_id}) now signs with the key in {key_file}; "
        "the service accepts only signed frames from it"
    )


@video_app.command("probe")
def video_probe(
    url: Annotated[
        str, typer.Argument(help="rtsp://, http(s):// (MJPEG), an .sdp file (RTP/H.264) or a file")
    ],
    frames: Annotated[int, typer.Option("--frames", min=1, max=10_000, help="frames to read")] = 30,
    timeout: Annotated[float, typer.Option("--timeout", min=0.5, max=600.0, help="seconds to wait")] = 10.0,
) -> None:
    """Prints what a stream carries: codec, size, frame rate and its MISB ST 0601 KLV fields."""
    from ground_station.video.probe import probe

    result = asyncio.run(probe(url, max_frames=frames, timeout_s=timeout))
    for line in result.lines():
        typer.echo(line)
    if result.frames == 0:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds this package's commands to the ``borderwatch`` app."""
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.command("replay")(replay)
    app.add_typer(user_app, name="user")
    app.add_typer(link_app, name="link")
    from ground_station.sharing import cli as sharing_cli

    sharing_cli.register(app)
    app.add_typer(video_app, name="video")
