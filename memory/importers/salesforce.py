"""Importing a Salesforce Opportunity export, with its OpportunityFieldHistory if given.

Time semantics (``recorded_at`` is when a trusted system of record learned a fact):

* history rows: ``valid_from = recorded_at = CreatedDate`` of the history row (the
  CRM's audit time), ``source_id`` = the history row ``Id``;
* a field's value before its first recorded change (the first row's ``OldValue``), and
  the value of a field that has no history at all (taken from the Opportunity row), are
  valid from the opportunity's ``CreatedDate``. Without history a value is therefore
  assumed unchanged since creation: give the history file to avoid that assumption;
* a closed deal without stage (or forecast category) history gets its closed stage
  (and category) at its ``CloseDate`` (never before creation), not since creation;
* the Opportunity row is finally read as a snapshot at its ``LastModifiedDate``: any
  value that still differs from what the history says becomes an event then.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from memory.importers.context import ChangeSink, ImportContext, known_deals, open_context
from memory.importers.csv_mapped import (
    Progress,
    drop_conflicting_duplicates,
    identity_records,
    parse_table,
)
from memory.importers.known import FieldLog, snapshot_source_id
from memory.importers.mapping import Columns, ImportMapping, load_mapping
from memory.importers.parsing import start_of_day
from memory.importers.readers import read_csv
from memory.importers.report import ImportReport
from memory.importers.rows import DealRow, RowParser
from memory.importers.sf_history import HistoryEvent, parse_history
from memory.ingest import ingest
from memory.models import CLOSED_STAGES

SALESFORCE_STAGES = {
    "Prospecting": "prospecting",
    "Qualification": "qualification",
    "Needs Analysis": "discovery",
    "Value Proposition": "solution",
    "Id. Decision Makers": "solution",
    "Perception Analysis": "solution",
    "Proposal/Price Quote": "proposal",
    "Negotiation/Review": "negotiation",
    "Closed Won": "closed_won",
    "Closed Lost": "closed_lost",
}
"""Salesforce's default opportunity stages onto Keel's default stages."""

OUTCOME_FIELDS = ("stage", "forecast_category")
"""Fields whose current value on a closed deal reflects the outcome, not the deal's past."""

SALESFORCE_MAPPING = ImportMapping(
    source="salesforce",
    date_formats=["%Y-%m-%d", "%m/%d/%Y"],
    datetime_formats=["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%Y-%m-%d %H:%M:%S"],
    missing_columns="ignore",
    custom_columns=r"__c$",
    columns=Columns(
        deal_id=["Id", "Opportunity ID"],
        name=["Name", "Opportunity Name"],
        account_id=["AccountId", "Account ID"],
        account_name=["Account.Name", "Account Name"],
        stage=["StageName", "Stage"],
        amount=["Amount"],
        currency=["CurrencyIsoCode", "Opportunity Currency"],
        close_date=["CloseDate", "Close Date"],
        owner=["OwnerId", "Owner ID"],
        forecast_category=["ForecastCategoryName", "Forecast Category"],
        created_at=["CreatedDate", "Created Date"],
        valid_as_of=["LastModifiedDate", "Last Modified Date"],
        closed=["IsClosed", "Closed"],
        won=["IsWon", "Won"],
    ),
    stages=SALESFORCE_STAGES,
)
"""Built-in mapping of Salesforce's Opportunity export (API names and report labels)."""


def salesforce_mapping(path: Path | None = None) -> ImportMapping:
    """The built-in Salesforce mapping, extended by a user mapping TOML if given."""
    return load_mapping(path, base=SALESFORCE_MAPPING) if path else SALESFORCE_MAPPING


def _change(
    ctx: ImportContext, deal_id: str, name: str, value: Any, at: datetime, source_id: str
) -> dict[str, Any]:
    return {
        "org_id": ctx.org_id,
        "deal_id": deal_id,
        "field": name,
        "value": value,
        "valid_from": at,
        "recorded_at": at,
        "source": "salesforce",
        "source_id": source_id,
    }


def _closed_at(row: DealRow, created: datetime, ctx: ImportContext) -> datetime:
    close = row.fields.get("close_date")
    at = start_of_day(date.fromisoformat(close)) if close else (row.valid_at or ctx.now)
    at = max(at, created)
    return min(at, row.valid_at) if row.valid_at else at


def _initial_changes(
    ctx: ImportContext,
    log: FieldLog,
    row: DealRow,
    deal_id: str,
    created: datetime,
    first: dict[tuple[str, str], HistoryEvent],
) -> list[dict[str, Any]]:
    """Values at creation: the first change's old value, or the row's value if no history."""
    out: list[dict[str, Any]] = []
    for name, value in row.fields.items():
        earliest = first.get((row.source_id, name))
        if earliest is not None:
            value, at = earliest.old, created
            if value is None or earliest.at < created or log.value_at(deal_id, name, at)[0]:
                continue
        elif value is None or log.has_field(deal_id, name):
            continue
        elif name in OUTCOME_FIELDS and row.fields.get("stage") in CLOSED_STAGES:
            at = _closed_at(row, created, ctx)
            source_id = snapshot_source_id(ctx.org_id, row.source_id, name, value, at)
            out.append(_change(ctx, deal_id, name, value, at, source_id))
            log.add(deal_id, name, value, at, at)
            continue
        else:
            at = created
        out.append(_change(ctx, deal_id, name, value, at, f"{row.source_id}:initial:{name}"))
        log.add(deal_id, name, value, at, at)
    return out


def import_salesforce(
    session: Session,
    opportunities: Path,
    *,
    org_id: str,
    history: Path | None = None,
    mapping: ImportMapping | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a Salesforce Opportunity export (and field history) into the caller's transaction.

    Args:
        session: Open session; the caller commits or rolls back (see ``run_import``).
        opportunities: Opportunity export CSV (``Id, Name, AccountId, StageName, ...``).
        org_id: Org to import into (created if missing).
        history: Optional OpportunityFieldHistory CSV
            (``Id, OpportunityId, Field, OldValue, NewValue, CreatedDate``).
        mapping: Mapping to use instead of :data:`SALESFORCE_MAPPING`.
        now: Ingestion time; defaults to the current time.
        progress: Optional progress callback.

    Raises:
        ImportFailed: a file-level problem; nothing should be committed.
    """
    mapping = mapping or SALESFORCE_MAPPING
    files = [opportunities.name] + ([history.name] if history else [])
    report = ImportReport(source="salesforce", org_id=org_id, files=files)
    ctx, created_org = open_context(session, org_id, now=now)
    report.inserted.update(created_org.inserted)
    table = read_csv(opportunities, delimiter=mapping.delimiter)
    hist_table = read_csv(history, delimiter=mapping.delimiter) if history else None
    parser = RowParser(mapping, table.header, ctx, opportunities.name)
    rows = parse_table(parser, table, report, progress)
    rows = drop_conflicting_duplicates(rows, lambda _r: ctx.now, report, opportunities.name)
    if any(r.created_at is None for r in rows):
        report.warn(
            opportunities.name,
            None,
            "rows without CreatedDate are taken as created "
            "at their LastModifiedDate (or the import time)",
        )

    def created_of(row: DealRow) -> datetime:
        return row.created_at or row.valid_at or ctx.now

    mentioned = {r.source_id for r in rows}
    if hist_table is not None:
        col = next((c for c in ("OpportunityId", "Opportunity ID") if c in hist_table.header), "")
        mentioned |= {r.values.get(col, "") for r in hist_table.records} - {""}
    known = known_deals(session, org_id, mentioned)
    log = FieldLog.load(session, org_id, (k.deal_id for k in known.values()))
    accounts, deals, ids = identity_records(
        ctx, rows, known, source="salesforce", created_of=created_of, recorded_at=created_of
    )
    report.duplicates["deals"] += len({r.source_id for r in rows} & set(known))
    ids.update({src: k.deal_id for src, k in known.items()})
    events = parse_history(hist_table, parser, report, set(ids)) if hist_table else []
    report.add_ingest(ingest(session, accounts=accounts, deals=deals))
    sink = ChangeSink(session, report)
    first: dict[tuple[str, str], HistoryEvent] = {}
    for ev in events:
        first.setdefault((ev.opportunity, ev.field), ev)
        deal_id = ids[ev.opportunity]
        sink.add([_change(ctx, deal_id, ev.field, ev.new, ev.at, ev.source_id)])
        log.add(deal_id, ev.field, ev.new, ev.at, ev.at)
    for row in rows:
        deal_id = ids[row.source_id]
        sink.add(_initial_changes(ctx, log, row, deal_id, created_of(row), first))
        at = row.valid_at or ctx.now
        new, unchanged = log.diff(
            org_id=org_id,
            deal_id=deal_id,
            deal_source_id=row.source_id,
            values=row.fields,
            valid_from=at,
            recorded_at=at,
            source="salesforce",
        )
        sink.add(new)
        report.unchanged += unchanged
    sink.flush()
    return report
