"""Reading a Salesforce ``OpportunityFieldHistory`` export into field events.

Each history row is one change the CRM audited: ``valid_from`` and ``recorded_at``
are both its ``CreatedDate`` (the CRM's audit time: the moment a trusted system of
record learned the change), and its ``source_id`` is the history row's ``Id``, so
re-importing the same history writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from memory.importers.mapping import CustomField
from memory.importers.parsing import parse_instant, snake_case
from memory.importers.readers import CsvRecord, CsvTable
from memory.importers.report import ImportFailed, ImportReport
from memory.importers.rows import RowParser

FIELD_MAP = {
    "StageName": "stage",
    "Amount": "amount",
    "CloseDate": "close_date",
    "Owner": "owner_id",
    "OwnerId": "owner_id",
    "ForecastCategoryName": "forecast_category",
    "ForecastCategory": "forecast_category",
    "Name": "name",
    "CurrencyIsoCode": "currency",
}
"""Salesforce Opportunity field API names -> Keel deal fields."""

SKIPPED = {
    "created",
    "opportunityCreatedFromLead",
    "locked",
    "unlocked",
    "feedEvent",
    "Account",
    "AccountId",
    "IsClosed",
    "IsWon",
}
"""History events that are not deal field values (or change identity, which Keel keeps)."""

_COLUMNS = {
    "id": ("Id", "History ID"),
    "opportunity": ("OpportunityId", "Opportunity ID"),
    "field": ("Field", "Field / Event"),
    "old": ("OldValue", "Old Value"),
    "new": ("NewValue", "New Value"),
    "at": ("CreatedDate", "Edit Date", "Created Date"),
}
_USER_ID = re.compile(r"005[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?")


@dataclass(frozen=True)
class HistoryEvent:
    """One parsed history row."""

    line: int
    source_id: str
    opportunity: str
    field: str
    old: Any
    new: Any
    at: datetime


def keel_field(sf_field: str) -> str | None:
    """Keel field name of a Salesforce field (``None`` for events that are not values)."""
    if sf_field in SKIPPED:
        return None
    return FIELD_MAP.get(sf_field) or snake_case(sf_field) or None


def _columns(table: CsvTable) -> dict[str, str]:
    cols: dict[str, str] = {}
    for key, names in _COLUMNS.items():
        found = next((n for n in names if n in table.header), None)
        if found is None and key != "old":
            raise ImportFailed(
                table.path,
                f"history file has no {' / '.join(names)} column; columns found: {table.header}",
            )
        if found is not None:
            cols[key] = found
    return cols


def _value(parser: RowParser, sf_field: str, name: str, raw: str) -> Any:
    if not raw:
        return None
    if name in FIELD_MAP.values():
        return parser.convert(name, raw)
    spec = parser.custom.get(sf_field) or CustomField.model_construct(field=name, type="text")
    return parser.convert_custom(spec, raw)


def parse_history(
    table: CsvTable, parser: RowParser, report: ImportReport, opportunities: set[str]
) -> list[HistoryEvent]:
    """Parse history rows of known ``opportunities``; every bad row becomes a row error.

    Owner changes are logged twice by Salesforce (user names and user ids); the id row
    is kept and the name row skipped.

    Raises:
        ImportFailed: a required column is missing.
    """
    name = table.path.name
    cols = _columns(table)
    for warning in table.warnings:
        report.warn(name, None, warning)
    for line, problem in table.problems:
        report.error(name, line, problem)
    report.rows_read += len(table.records) + len(table.problems)
    report.rows_rejected += len(table.problems)

    def cell(record: CsvRecord, key: str) -> str:
        return record.values.get(cols[key], "") if key in cols else ""

    owner_id_rows = {
        (cell(r, "opportunity"), cell(r, "at"))
        for r in table.records
        if cell(r, "field") in ("Owner", "OwnerId") and _USER_ID.fullmatch(cell(r, "new"))
    }
    events: list[HistoryEvent] = []
    for record in table.records:
        errors: list[str] = []
        opp, sf_field, when = cell(record, "opportunity"), cell(record, "field"), cell(record, "at")
        field_name = keel_field(sf_field) if sf_field else None
        if sf_field and field_name is None:
            continue
        new_raw = cell(record, "new")
        is_owner = sf_field in ("Owner", "OwnerId")
        if is_owner and not _USER_ID.fullmatch(new_raw) and (opp, when) in owner_id_rows:
            continue
        if not cell(record, "id"):
            errors.append(f"missing history row id (column {cols['id']!r} is empty)")
        if not sf_field:
            errors.append(f"missing field name (column {cols['field']!r} is empty)")
        if not opp:
            errors.append(f"missing opportunity id (column {cols['opportunity']!r} is empty)")
        elif opp not in opportunities:
            errors.append(
                f"opportunity {opp!r} is not in the opportunities file (or its row "
                "was rejected) and is not in the store"
            )
        at: datetime | None = None
        try:
            at = parse_instant(when, parser.instant_formats, parser.mapping.zone)
        except ValueError as exc:
            errors.append(f"column {cols['at']!r}: {exc}")
        values: list[Any] = []
        for key in ("old", "new"):
            try:
                values.append(_value(parser, sf_field, field_name or "", cell(record, key)))
            except ValueError as exc:
                values.append(None)
                errors.append(f"{sf_field} {'OldValue' if key == 'old' else 'NewValue'}: {exc}")
        if errors or at is None or field_name is None:
            report.rows_rejected += 1
            for reason in errors:
                report.error(name, record.line, reason)
            continue
        events.append(
            HistoryEvent(record.line, cell(record, "id"), opp, field_name, values[0], values[1], at)
        )
    events.sort(key=lambda e: (e.opportunity, e.field, e.at, e.source_id))
    return events
