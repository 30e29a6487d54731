"""Importing a CSV snapshot of deals with a column mapping (the generic CRM importer).

A CSV export says how each deal stood at one instant: the row's "valid as of" column
(e.g. LastModifiedDate), else the snapshot date given on the command line or in the
mapping, else the import time. Only values that differ from what the store knows for
that deal at that instant become ``FieldChange`` events; their source ids hash the
org, deal, field, value and valid time, so importing the same facts again (from this
file or another) writes nothing. ``recorded_at`` is the ingestion time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from memory.ids import make_id
from memory.importers.context import (
    NO_ACCOUNT,
    ChangeSink,
    ImportContext,
    KnownDeal,
    account_row,
    known_deals,
    open_context,
)
from memory.importers.known import FieldLog
from memory.importers.mapping import ImportMapping
from memory.importers.parsing import parse_instant
from memory.importers.readers import CsvTable, read_csv
from memory.importers.report import ImportFailed, ImportReport
from memory.importers.rows import DealRow, RowParser
from memory.ingest import ingest

Progress = Callable[[int, int], None]
"""Progress callback: ``(records done, records total)``."""


def parse_table(
    parser: RowParser, table: CsvTable, report: ImportReport, progress: Progress | None = None
) -> list[DealRow]:
    """Parse every record of ``table``; bad ones become row errors in ``report``."""
    name = table.path.name
    for warning in table.warnings:
        report.warn(name, None, warning)
    for line, problem in table.problems:
        report.error(name, line, problem)
    report.rows_read += len(table.records) + len(table.problems)
    if not table.records and not table.problems:
        report.warn(name, None, "the file has a header but no data rows")
    report.rows_rejected += len(table.problems)
    rows: list[DealRow] = []
    total = len(table.records)
    for done, record in enumerate(table.records, start=1):
        parsed = parser.parse(record)
        if isinstance(parsed, DealRow):
            rows.append(parsed)
        else:
            report.rows_rejected += 1
            for reason in parsed:
                report.error(name, record.line, reason)
        if progress and (done % 1000 == 0 or done == total):
            progress(done, total)
    if parser.unmatched_owners:
        sample = sorted(parser.unmatched_owners)[:5]
        report.warn(
            name,
            None,
            f"{len(parser.unmatched_owners)} owner value(s) match no Keel "
            f"user and were kept as given (e.g. {sample})",
        )
    report.errors.sort(key=lambda e: (e.file, e.line or 0))
    return rows


def identity_records(
    ctx: ImportContext,
    rows: Sequence[DealRow],
    known: dict[str, KnownDeal],
    *,
    source: str,
    created_of: Callable[[DealRow], datetime],
    recorded_at: Callable[[DealRow], datetime],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Account and deal records for the rows' deals, plus deal source id -> deal id.

    Deals already stored keep their identity (account, creation time); the insert of
    their record is simply counted as a duplicate.
    """
    accounts: dict[str, dict[str, Any]] = {}
    deals: dict[str, dict[str, Any]] = {}
    ids: dict[str, str] = {}
    for row in rows:
        created = created_of(row)
        if row.source_id in known:
            ids[row.source_id] = known[row.source_id].deal_id
            continue
        acc_src = row.account_source_id or NO_ACCOUNT
        acc_name = row.account_name or NO_ACCOUNT
        acc = accounts.get(acc_src)
        if acc is None or acc["created_at"] > created:
            accounts[acc_src] = account_row(
                ctx.org_id, acc_src, acc_name, created, recorded_at(row)
            )
        deal_id = make_id("deal", ctx.org_id, row.source_id)
        ids[row.source_id] = deal_id
        current = deals.get(row.source_id)
        if current is None or current["created_at"] > created:
            deals[row.source_id] = {
                "id": deal_id,
                "org_id": ctx.org_id,
                "account_id": make_id("account", ctx.org_id, acc_src),
                "name": row.name,
                "source": source,
                "source_id": row.source_id,
                "created_at": created,
                "recorded_at": recorded_at(row),
            }
    return list(accounts.values()), list(deals.values()), ids


def drop_conflicting_duplicates(
    rows: list[DealRow], valid_of: Callable[[DealRow], datetime], report: ImportReport, file: str
) -> list[DealRow]:
    """Keep one row per (deal, valid time); a second row that disagrees is a row error."""
    first: dict[tuple[str, datetime], DealRow] = {}
    kept: list[DealRow] = []
    for row in rows:
        key = (row.source_id, valid_of(row))
        seen = first.get(key)
        if seen is None:
            first[key] = row
            kept.append(row)
        elif seen.fields != row.fields:
            report.rows_rejected += 1
            report.error(
                file,
                row.line,
                f"deal {row.source_id!r} already appears on line "
                f"{seen.line} for the same valid time with different values",
            )
    return kept


def import_snapshot_table(
    session: Session,
    ctx: ImportContext,
    report: ImportReport,
    table: CsvTable,
    mapping: ImportMapping,
    *,
    as_of: datetime | None = None,
    progress: Progress | None = None,
) -> None:
    """Import a parsed CSV snapshot into the caller's transaction (see module docstring)."""
    parser = RowParser(mapping, table.header, ctx, table.path.name)
    rows = parse_table(parser, table, report, progress)
    fallback = as_of
    if fallback is None and mapping.snapshot_date:
        try:
            fallback = parse_instant(mapping.snapshot_date, mapping.datetime_formats, mapping.zone)
        except ValueError as exc:
            raise ImportFailed(table.path, f"mapping snapshot_date: {exc}") from exc
    if fallback is None and any(r.valid_at is None for r in rows):
        report.warn(
            table.path.name,
            None,
            "no valid-as-of column value or snapshot date "
            "(--as-of); rows without one are taken as valid at the import time",
        )
    default_at = fallback or ctx.now

    def valid_of(row: DealRow) -> datetime:
        return row.valid_at or default_at

    def created_of(row: DealRow) -> datetime:
        at = valid_of(row)
        return min(row.created_at, at) if row.created_at else at

    rows = drop_conflicting_duplicates(rows, valid_of, report, table.path.name)
    known = known_deals(session, ctx.org_id, (r.source_id for r in rows))
    log = FieldLog.load(session, ctx.org_id, (k.deal_id for k in known.values()))
    accounts, deals, ids = identity_records(
        ctx,
        rows,
        known,
        source=mapping.source,
        created_of=created_of,
        recorded_at=lambda _row: ctx.now,
    )
    report.duplicates["deals"] += len(known)
    report.add_ingest(ingest(session, accounts=accounts, deals=deals))
    sink = ChangeSink(session, report)
    for row in sorted(rows, key=lambda r: (valid_of(r), r.line)):
        new, unchanged = log.diff(
            org_id=ctx.org_id,
            deal_id=ids[row.source_id],
            deal_source_id=row.source_id,
            values=row.fields,
            valid_from=valid_of(row),
            recorded_at=ctx.now,
            source=mapping.source,
        )
        sink.add(new)
        report.unchanged += unchanged
    sink.flush()


def import_csv(
    session: Session,
    path: Path,
    mapping: ImportMapping,
    *,
    org_id: str,
    as_of: datetime | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV of deals described by ``mapping`` into the caller's transaction.

    Args:
        session: Open session; the caller commits or rolls back (see ``run_import``).
        path: The CSV file.
        mapping: Column mapping (see :mod:`memory.importers.mapping`).
        org_id: Org to import into (created if missing).
        as_of: Snapshot valid time for rows without a valid-as-of value.
        now: Ingestion time (``recorded_at``); defaults to the current time.
        progress: Optional progress callback.

    Raises:
        ImportFailed: a file-level problem; nothing should be committed.
    """
    report = ImportReport(source="csv", org_id=org_id, files=[path.name])
    ctx, created = open_context(session, org_id, now=now)
    report.inserted.update(created.inserted)
    table = read_csv(path, delimiter=mapping.delimiter)
    import_snapshot_table(session, ctx, report, table, mapping, as_of=as_of, progress=progress)
    return report
