"""The ``borderwatch`` command: one entry point that mounts each package's own CLI module."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="borderwatch: drone missions and telemetry for the CZ-PL border")
