"""The JWT signing secret: random, created on first run in the data directory, never in code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

MIN_SECRET_CHARS = 32


class SecretFileError(Exception):
    """The secret file exists but cannot be used (unreadable, too short, world-readable)."""


def load_or_create_secret(path: Path) -> str:
    """Reads the secret, or creates it atomically with mode 0600 if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
    try:
        value = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"cannot read JWT secret {path}: {exc}") from None
    if len(value) < MIN_SECRET_CHARS:
        raise SecretFileError(
            f"JWT secret {path} is shorter than {MIN_SECRET_CHARS} characters; "
            "delete it to generate a new one"
        )
    if path.stat().st_mode & 0o077:
        raise SecretFileError(f"JWT secret {path} is readable by other users; run: chmod 600 {path}")
    return value
