"""The ``borderwatch`` command: one entry point that mounts each package's own CLI module.

Each package keeps its commands next to its code (``<package>/cli.py``) and exposes
``register(app)``; this module only wires them together, so no package imports another's CLI.
"""

from __future__ import annotations

import typer

from geodata import cli as geodata_cli
from ground_station import cli as station_cli
from missions import cli as missions_cli
from sim import cli as sim_cli

app = typer.Typer(
    no_args_is_help=True,
    help="borderwatch: drone missions, telemetry and shared video for the CZ-PL border region",
    pretty_exceptions_enable=False,
)

for module in (geodata_cli, missions_cli, sim_cli, station_cli):
    module.register(app)


if __name__ == "__main__":
    app()
