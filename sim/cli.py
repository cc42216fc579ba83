"""Command-line edge of this package (placeholder until the package's CLI lands)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this package's commands to the ``borderwatch`` app."""
