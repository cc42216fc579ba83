"""``borderwatch audit verify|export`` and ``borderwatch federation init``.

The audit commands read the database file directly, read-only, so a data-protection officer can check a
copy of it without a running station (and without migrating or otherwise touching it).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import typer

audit_app = typer.Typer(no_args_is_help=True, help="the hash-chained audit trail")
federation_app = typer.Typer(no_args_is_help=True, help="partner centres: certificates for mutual TLS")


def _db_path(db: Path | None, config: Path | None) -> Path:
    if db is not None:
        return db
    from ground_station.cli import _settings

    return _settings(config).sqlite_path


def read_chain(path: Path) -> list[object]:
    from ground_station.sharing.chain import ChainRow

    if not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT id, time_utc, actor, action, target, detail, entry_id, prev_hash, row_hash "
            "FROM audit ORDER BY id"
        ).fetchall()
    return [ChainRow(*row) for row in rows]


@audit_app.command("verify")
def verify_cmd(
    db: Path | None = typer.Option(None, "--db", help="database file (default: the configured station's)"),
    anchor: list[str] = typer.Option(
        [], "--anchor", help="ROW_ID:HASH of a chain head held elsewhere (a partner's copy); repeatable"
    ),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """Checks every row's hash and link; names each changed, removed or inserted row. Exit 1 if any."""
    from ground_station.sharing.chain import Anchor, ChainRow, verify

    anchors = []
    for text in anchor:
        row_id, _, row_hash = text.partition(":")
        if not row_id.isdigit() or len(row_hash) != 64:
            typer.echo(f"error: --anchor {text!r} is not ROW_ID:SHA256", err=True)
            raise typer.Exit(2)
        anchors.append(Anchor(int(row_id), row_hash))
    path = _db_path(db, config)
    try:
        rows = [r for r in read_chain(path) if isinstance(r, ChainRow)]
    except (OSError, sqlite3.Error) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    report = verify(rows, anchors)
    for problem in report.problems:
        typer.echo(f"row {problem.row_id}: {problem.kind}: {problem.message}")
    head = f"head {report.head.row_id}:{report.head.row_hash}" if report.head else "no chained rows"
    legacy = f", {report.legacy_rows} rows from before the chain" if report.legacy_rows else ""
    verdict = "OK" if report.ok else f"BROKEN ({len(report.problems)} problems)"
    typer.echo(f"{verdict}: {report.rows} rows{legacy}; {head}")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def export_cmd(
    output: Path = typer.Argument(..., help="file to write (.csv or .json)"),
    db: Path | None = typer.Option(None, "--db"),
    config: Path | None = typer.Option(None, "--config", "-c"),
) -> None:
    """The whole chain with its hashes, for a data-protection officer (verifiable offline)."""
    from ground_station.sharing.chain import ChainRow
    from ground_station.sharing.routes import export_csv, export_json

    rows = [r for r in read_chain(_db_path(db, config)) if isinstance(r, ChainRow)]
    if output.suffix.lower() == ".csv":
        output.write_text(export_csv(rows), encoding="utf-8")
    elif output.suffix.lower() == ".json":
        output.write_text(export_json(rows), encoding="utf-8")
    else:
        typer.echo("error: the output must end in .csv or .json", err=True)
        raise typer.Exit(2)
    typer.echo(f"wrote {len(rows)} audit rows to {output}")


@federation_app.command("init")
def init_cmd(
    centre: str = typer.Argument(..., help="this centre's organisation slug (the certificate's name)"),
    out: Path = typer.Option(..., "--out", help="directory for the CA, the certificate and their keys"),
    host: list[str] = typer.Option(["127.0.0.1", "localhost"], "--host", help="names/IPs partners dial"),
) -> None:
    """Makes this centre's CA and federation certificate; prints what the partner must import."""
    from ground_station.sharing.tls import write_identity

    identity = write_identity(out, centre, datetime.now(UTC), tuple(host))
    export = out / f"{centre}-ca.pem"
    export.write_bytes(identity.ca_file.read_bytes())
    typer.echo(
        f"certificate {identity.cert_file}, key {identity.key_file} (keep private), CA {identity.ca_file}"
    )
    typer.echo(f"give the partner {export}; they add it as sharing.partners[].ca_file with centre '{centre}'")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
    app.add_typer(federation_app, name="federation")
