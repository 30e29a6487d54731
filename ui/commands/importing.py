"""``keel import ...``: load CRM exports and activity files into the store.

Exit codes: 0 when every record was good, 1 when some records were rejected (the good
ones are kept), 2 when nothing was imported (file-level failure, ``--strict`` with
errors, or no good record). With ``--json`` exactly one JSON document is printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlmodel import Session

from memory.importers import (
    ActivityDefaults,
    ImportFailed,
    ImportMapping,
    ImportReport,
    hubspot_mapping,
    import_activities,
    import_csv,
    import_hubspot,
    import_salesforce,
    load_mapping,
    run_import,
    salesforce_mapping,
)
from memory.importers.mapping import read_mapping_data
from memory.importers.parsing import parse_instant
from ui.cliutil import open_store, to_json
from ui.settings import UISettings

import_app = typer.Typer(
    help="Import deals (CSV + mapping, Salesforce, HubSpot) and activities.",
    no_args_is_help=True,
)
console = Console()
stderr = Console(stderr=True)
MAX_SHOWN = 20

OrgOpt = Annotated[str | None, typer.Option("--org", help="Org id (default: KEEL_ORG or 'demo').")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Abort with nothing written if any row has an error.")
]
MappingOpt = Annotated[
    Path | None, typer.Option("--mapping", help="Mapping TOML extending the built-in one.")
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Snapshot instant for rows without a valid-as-of value (ISO; a date = 00:00 UTC).",
    ),
]

Progressed = Callable[[int, int], None]
Importer = Callable[[Session, Progressed | None], ImportReport]


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Progressed | None]:
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), console=stderr, transient=True
    )
    task = bar.add_task(label, total=None)
    with bar:

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _render(report: ImportReport) -> None:
    doc = report.as_dict()
    table = Table(title=f"keel import {report.source} -> org {report.org_id}")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("records read", str(doc["rows_read"]))
    table.add_row("records rejected", str(doc["rows_rejected"]))
    for kind, count in doc["inserted"].items():
        table.add_row(f"{kind} inserted", str(count))
    for kind, count in doc["duplicates"].items():
        table.add_row(f"{kind} already stored", str(count))
    table.add_row("unchanged values skipped", str(doc["unchanged"]))
    console.print(table)


def _report_problems(report: ImportReport) -> None:
    for title, items in (("warning", report.warnings), ("error", report.errors)):
        colour = "yellow" if title == "warning" else "red"
        for item in items[:MAX_SHOWN]:
            stderr.print(f"[{colour}]{title}:[/] {escape(str(item))}", highlight=False)
        if len(items) > MAX_SHOWN:
            stderr.print(f"... and {len(items) - MAX_SHOWN} more {title}s (see --json)")
    if report.fatal:
        stderr.print(f"[bold red]error:[/] {escape(report.fatal)}", highlight=False)


def _finish(report: ImportReport, as_json: bool) -> None:
    _report_problems(report)
    if as_json:
        sys.stdout.write(to_json(report.as_dict()) + "\n")
    elif report.fatal is None:
        _render(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _run(
    source: str,
    org: str | None,
    as_json: bool,
    strict: bool,
    prepare: Callable[[], Importer],
) -> None:
    """Resolve options, run the import in one transaction, print, and exit with its code."""
    org_id = org or UISettings().org
    try:
        importer = prepare()
    except (ImportFailed, ValueError) as exc:
        failed = ImportReport(source=source, org_id=org_id)
        failed.fatal = f"{exc}; nothing was imported"
        _finish(failed, as_json)
        return
    show = not as_json and sys.stderr.isatty()
    try:
        engine = open_store()
    except Exception as exc:  # bad KEEL_DATABASE_URL, unreachable server...
        failed = ImportReport(source=source, org_id=org_id)
        failed.fatal = f"cannot open the store: {type(exc).__name__}: {exc}"
        _finish(failed, as_json)
        return
    try:
        with _progress(show, f"importing {source}") as progress:
            report = run_import(
                engine,
                lambda session: importer(session, progress),
                source=source,
                org_id=org_id,
                strict=strict,
            )
    finally:
        engine.dispose()
    _finish(report, as_json)


def _instant(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text, [], UTC)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


@import_app.command("csv")
def import_csv_command(
    file: Annotated[Path, typer.Argument(help="CSV export of deals.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="Column mapping TOML.")],
    org: OrgOpt = None,
    as_of: AsOfOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a CSV snapshot of deals described by a TOML column mapping."""
    org_id = org or UISettings().org

    def prepare() -> Importer:
        loaded: ImportMapping = load_mapping(mapping)
        when = _instant(as_of, "--as-of")
        return lambda s, p: import_csv(s, file, loaded, org_id=org_id, as_of=when, progress=p)

    _run("csv", org_id, as_json, strict, prepare)


@import_app.command("salesforce")
def import_salesforce_command(
    opportunities: Annotated[Path, typer.Argument(help="Opportunity export CSV.")],
    history: Annotated[
        Path | None, typer.Option("--history", help="OpportunityFieldHistory export CSV.")
    ] = None,
    mapping: MappingOpt = None,
    org: OrgOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import Salesforce opportunities, with their field history when given."""
    org_id = org or UISettings().org

    def prepare() -> Importer:
        loaded = salesforce_mapping(mapping)
        return lambda s, p: import_salesforce(
            s, opportunities, history=history, org_id=org_id, mapping=loaded, progress=p
        )

    _run("salesforce", org_id, as_json, strict, prepare)


@import_app.command("hubspot")
def import_hubspot_command(
    file: Annotated[Path, typer.Argument(help="HubSpot deals export CSV.")],
    mapping: MappingOpt = None,
    org: OrgOpt = None,
    as_of: AsOfOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a HubSpot deals export (each row as of its Last Modified Date)."""
    org_id = org or UISettings().org

    def prepare() -> Importer:
        loaded = hubspot_mapping(mapping)
        when = _instant(as_of, "--as-of")
        return lambda s, p: import_hubspot(
            s, file, org_id=org_id, mapping=loaded, as_of=when, progress=p
        )

    _run("hubspot", org_id, as_json, strict, prepare)


@import_app.command("activities")
def import_activities_command(
    path: Annotated[Path, typer.Argument(help="Folder of .txt/.eml files, or a .jsonl file.")],
    seller_domain: Annotated[
        list[str] | None,
        typer.Option("--seller-domain", help="Seller email domain (repeatable)."),
    ] = None,
    deal: Annotated[
        str | None, typer.Option("--deal", help="Deal (CRM id) for files that name none.")
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="Time for files that carry none.")
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="Kind of .txt files without Kind:.")] = "note",
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping TOML (its seller_domains are used).")
    ] = None,
    org: OrgOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Import calls, emails, meetings and notes, linked to deals by their CRM id."""
    org_id = org or UISettings().org

    def prepare() -> Importer:
        domains = list(seller_domain or [])
        if mapping is not None:
            domains += _mapping_domains(mapping)
        defaults = ActivityDefaults(deal=deal, occurred_at=_instant(date, "--date"), kind=kind)
        return lambda s, p: import_activities(
            s, path, org_id=org_id, seller_domains=domains, defaults=defaults, progress=p
        )

    _run("activities", org_id, as_json, strict, prepare)


def _mapping_domains(path: Path) -> list[str]:
    data: dict[str, Any] = read_mapping_data(path)
    domains = data.get("seller_domains", [])
    if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
        raise ImportFailed(path, "seller_domains must be a list of domain names")
    return list(domains)


def register(app: typer.Typer) -> None:
    """Add the ``import`` command group to the CLI."""
    app.add_typer(import_app, name="import")
