"""Keeping the demo away from real deployments.

``borderwatch demo`` creates accounts with well-known names (``demo-admin`` ...) and prints their
passwords. That is fine in a directory the demo owns and dangerous in a deployment's: printed admin
passwords in a terminal scroll-back, and ``demo --config station.toml`` used to reset them in the
configured data directory. So:

- a data directory the demo creates or adopts (new or empty) gets a marker file, ``DEMO_MARKER``;
- the demo refuses a data directory that holds a database or JWT secret but no marker (a deployment);
- the service refuses to start (``serve``) when demo accounts exist in a directory without the marker.
"""

from __future__ import annotations

from pathlib import Path

from ground_station.auth.roles import Role
from ground_station.store.repositories import UserRepository

DEMO_MARKER = "BORDERWATCH-DEMO-DATA"
_MARKER_TEXT = (
    "This directory was created by `borderwatch demo`. Its demo accounts have printed passwords:\n"
    "never use it for a real station. Delete the directory to discard the demo.\n"
)

DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("demo-admin", Role.ADMIN),
    ("demo-commander", Role.COMMANDER),
    ("demo-pilot", Role.PILOT),
    ("demo-partner", Role.PARTNER_VIEWER),
)


class DemoDataError(Exception):
    """The demo and a deployment's data would mix; the message says what to do instead."""


def is_demo_data_dir(data_dir: Path) -> bool:
    return (data_dir / DEMO_MARKER).is_file()


def _holds_deployment(data_dir: Path, sqlite_path: Path, secret_path: Path) -> bool:
    return sqlite_path.exists() or secret_path.exists()


def claim_demo_data_dir(data_dir: Path, sqlite_path: Path, secret_path: Path) -> None:
    """Marks ``data_dir`` as the demo's, or refuses when it already holds a deployment's data."""
    if is_demo_data_dir(data_dir):
        return
    if data_dir.exists() and _holds_deployment(data_dir, sqlite_path, secret_path):
        raise DemoDataError(
            f"{data_dir} holds a station's data (database or JWT secret) and no {DEMO_MARKER} marker: "
            "the demo never touches a deployment. Give the demo its own directory with --data-dir "
            "(or drop data_dir from the config it reads)."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text(_MARKER_TEXT, encoding="utf-8")


async def refuse_demo_accounts(users: UserRepository, data_dir: Path) -> None:
    """Raises when enabled demo accounts exist in a data directory that is not the demo's."""
    if is_demo_data_dir(data_dir):
        return
    found = []
    for username, _role in DEMO_USERS:
        user = await users.by_username(username)
        if user is not None and not user.disabled:
            found.append(username)
    if found:
        names = " ".join(found)
        raise DemoDataError(
            f"demo accounts ({', '.join(found)}) exist in {data_dir}, which is not a demo data directory; "
            f"their passwords were printed. Remove them first: "
            f"for u in {names}; do borderwatch user delete $u; done"
        )
