"""``python -m borderwatch_cli`` runs the ``borderwatch`` command."""

from borderwatch_cli.main import app

app()
