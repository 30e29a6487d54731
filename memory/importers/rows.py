"""Turning one CSV record into a deal snapshot, following an :class:`ImportMapping`.

Each problem in a record (unknown stage, bad amount or date, missing id...) becomes a
message naming the column and the value; a record with any problem is rejected whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memory.importers.context import ImportContext
from memory.importers.mapping import CustomField, ImportMapping
from memory.importers.parsing import (
    norm_key,
    parse_amount,
    parse_bool,
    parse_date,
    parse_instant,
    snake_case,
)
from memory.importers.readers import CsvRecord
from memory.importers.report import ImportFailed
from memory.models import CLOSED_LOST, CLOSED_STAGES, CLOSED_WON, CORE_FIELDS, FORECAST_CATEGORIES

_STATUS_DEFAULTS = {
    "won": CLOSED_WON,
    "closedwon": CLOSED_WON,
    "lost": CLOSED_LOST,
    "closedlost": CLOSED_LOST,
    "open": "open",
}
_FORECAST_ALIASES = {
    "omit": "omitted",
    "notforecasted": "omitted",
    "bestcase": "best_case",
    "closedwon": "closed",
    "closedlost": "omitted",
}
_CURRENCY = re.compile(r"[A-Z]{3}")
_PIPELINE_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
_CORE_ATTRS = {
    "stage": "stage",
    "amount": "amount",
    "close_date": "close_date",
    "owner": "owner_id",
    "forecast_category": "forecast_category",
    "currency": "currency",
}


@dataclass
class DealRow:
    """A deal as one CSV record states it."""

    line: int
    source_id: str
    name: str
    account_source_id: str | None
    account_name: str | None
    created_at: datetime | None
    valid_at: datetime | None
    fields: dict[str, Any] = field(default_factory=dict)


class RowParser:
    """Parses records of one CSV file with one mapping (column lookups are resolved once)."""

    def __init__(self, mapping: ImportMapping, header: list[str], ctx: ImportContext, file: str):
        """Resolve the mapping against the header.

        Raises:
            ImportFailed: a mapped column is missing (unless ``missing_columns = "ignore"``),
                or the stage map names stages the org does not have.
        """
        self.mapping, self.ctx = mapping, ctx
        present = set(header)
        self.cols: dict[str, str] = {}
        missing: list[str] = []
        for attr, refs in mapping.column_refs().items():
            found = next((r for r in refs if r in present), None)
            if found is not None:
                self.cols[attr] = found
            elif attr == "deal_id" or mapping.missing_columns == "error":
                missing.append(f"{' or '.join(repr(r) for r in refs)} (for {attr})")
        custom = {c: mapping.custom_field(c) for c in mapping.custom_fields if c in present}
        missing += [repr(c) for c in mapping.custom_fields if c not in present]
        if missing and (mapping.missing_columns == "error" or "deal_id" not in self.cols):
            raise ImportFailed(
                file, f"column {', '.join(missing)} not in the header; columns found: {header}"
            )
        if mapping.custom_columns:
            used = set(self.cols.values()) | set(custom)
            pattern = re.compile(mapping.custom_columns)
            for col in header:
                name = snake_case(col)
                if col not in used and pattern.search(col) and name and name not in CORE_FIELDS:
                    # built directly: header-derived names need not pass the TOML name rules
                    custom[col] = CustomField.model_construct(field=name, type="text")
        self.custom = custom
        bad = sorted({t for t in mapping.stages.values() if t not in ctx.stages})
        if bad:
            raise ImportFailed(
                file, f"stage map targets {bad} are not stages of org {ctx.org_id!r} ({ctx.stages})"
            )
        self.stage_labels = list(mapping.stages) or list(ctx.stages)
        self.stage_lookup = {norm_key(s): s for s in ctx.stages}
        self.stage_lookup.update({norm_key(k): v for k, v in mapping.stages.items()})
        self.status_lookup = dict(_STATUS_DEFAULTS)
        self.status_lookup.update({norm_key(k): v for k, v in mapping.status_values.items()})
        self.forecast_lookup = {norm_key(c): c for c in FORECAST_CATEGORIES} | _FORECAST_ALIASES
        self.forecast_lookup.update(
            {norm_key(k): v for k, v in mapping.forecast_categories.items()}
        )
        self.owner_lookup = {k.casefold(): v for k, v in mapping.owners.items()}
        self.unmatched_owners: set[str] = set()
        self.instant_formats = mapping.datetime_formats + mapping.date_formats

    def cell(self, record: CsvRecord, attr: str) -> str:
        """The stripped value of a mapped attribute ('' when unmapped or empty)."""
        col = self.cols.get(attr)
        return record.values.get(col, "") if col else ""

    def _instant(self, record: CsvRecord, attr: str, errors: list[str]) -> datetime | None:
        raw = self.cell(record, attr)
        if not raw:
            return None
        try:
            return parse_instant(raw, self.instant_formats, self.mapping.zone)
        except ValueError as exc:
            errors.append(f"column {self.cols[attr]!r}: {exc}")
            return None

    def stage(self, raw: str) -> str:
        """Map a CRM stage label to an org stage.

        Raises:
            ValueError: unknown label (the message lists the allowed ones).
        """
        found = self.stage_lookup.get(norm_key(raw))
        if found is None:  # HubSpot-style "Closed Won (Sales Pipeline)"
            found = self.stage_lookup.get(norm_key(_PIPELINE_SUFFIX.sub("", raw)))
        if found is None:
            raise ValueError(f"unknown stage {raw!r}; expected one of {self.stage_labels}")
        return found

    def owner(self, raw: str) -> str:
        """Map a CRM owner (email, id or name) to a Keel user id, else keep it as given."""
        mapped = self.owner_lookup.get(raw.casefold())
        found = self.ctx.find_user(mapped or raw)
        if found is None and mapped is None:
            self.unmatched_owners.add(raw)
        return found or mapped or raw

    def _outcome(self, record: CsvRecord, errors: list[str]) -> str | None:
        flags: dict[str, bool] = {}
        for attr in ("won", "lost", "closed"):
            if attr in self.cols:
                try:
                    flags[attr] = parse_bool(self.cell(record, attr))
                except ValueError as exc:
                    errors.append(f"column {self.cols[attr]!r}: {exc}")
        status = self.cell(record, "status")
        if status:
            found = self.status_lookup.get(norm_key(status))
            if found is None:
                errors.append(
                    f"column {self.cols['status']!r}: unknown status {status!r}; "
                    f"expected one of {sorted(self.status_lookup)}"
                )
            return found
        if "closed" in flags:
            if not flags["closed"]:
                return "open"
            return CLOSED_WON if flags.get("won") else CLOSED_LOST
        if flags.get("won") and flags.get("lost"):
            errors.append("row is flagged both won and lost")
            return None
        return CLOSED_WON if flags.get("won") else CLOSED_LOST if flags.get("lost") else None

    def convert(self, key: str, raw: str) -> Any:
        """Parse a non-empty value of Keel field ``key`` (a core field or a custom spec's field).

        Raises:
            ValueError: the value does not fit the field.
        """
        m = self.mapping
        if key == "stage":
            return self.stage(raw)
        if key == "amount":
            return parse_amount(raw, decimal=m.decimal)
        if key == "close_date":
            return parse_date(raw, m.date_formats).isoformat()
        if key == "owner_id":
            return self.owner(raw)
        if key == "forecast_category":
            return self.forecast(raw)
        if key == "currency":
            if not _CURRENCY.fullmatch(raw.upper()):
                raise ValueError(f"{raw!r} is not a 3-letter currency code")
            return raw.upper()
        return raw

    def convert_custom(self, spec: CustomField, raw: str) -> Any:
        """Parse a non-empty custom field value by its declared type.

        Raises:
            ValueError: the value does not fit the type.
        """
        if spec.type == "number":
            return parse_amount(raw, decimal=self.mapping.decimal)
        if spec.type == "date":
            return parse_date(raw, self.mapping.date_formats).isoformat()
        if spec.type == "bool":
            return parse_bool(raw)
        return raw

    def forecast(self, raw: str) -> str:
        """Map a CRM forecast category label to Keel's.

        Raises:
            ValueError: unknown label.
        """
        found = self.forecast_lookup.get(norm_key(raw))
        if found is None:
            raise ValueError(
                f"unknown forecast category {raw!r}; expected one of "
                f"{list(FORECAST_CATEGORIES)} or a [forecast_categories] entry"
            )
        return found

    def _core(self, record: CsvRecord, errors: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for attr, key in _CORE_ATTRS.items():
            if attr not in self.cols:
                continue
            raw = self.cell(record, attr)
            try:
                out[key] = self.convert(key, raw) if raw else None
            except ValueError as exc:
                errors.append(f"column {self.cols[attr]!r}: {exc}")
        if self.mapping.default_currency and out.get("currency") is None:
            out["currency"] = self.mapping.default_currency
        return out

    def _custom(self, record: CsvRecord, errors: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col, spec in self.custom.items():
            raw = record.values.get(col, "")
            try:
                out[spec.field] = self.convert_custom(spec, raw) if raw else None
            except ValueError as exc:
                errors.append(f"column {col!r}: {exc}")
        return out

    def parse(self, record: CsvRecord) -> DealRow | list[str]:
        """Return the deal the record states, or the list of its problems."""
        errors: list[str] = []
        source_id = self.cell(record, "deal_id")
        if not source_id:
            errors.append(f"missing deal id (column {self.cols['deal_id']!r} is empty)")
        fields = self._core(record, errors)
        outcome = self._outcome(record, errors)
        if outcome in CLOSED_STAGES:
            fields["stage"] = outcome
        elif outcome == "open" and fields.get("stage") in CLOSED_STAGES:
            errors.append(f"stage {fields['stage']!r} is closed but the row says the deal is open")
        fields.update(self._custom(record, errors))
        created = self._instant(record, "created_at", errors)
        valid = self._instant(record, "valid_as_of", errors)
        if errors:
            return errors
        name = self.cell(record, "name")
        if "name" in self.cols:
            fields["name"] = name or None
        account_id, account_name = (
            self.cell(record, "account_id"),
            self.cell(record, "account_name"),
        )
        return DealRow(
            line=record.line,
            source_id=source_id,
            name=name or source_id,
            account_source_id=account_id or account_name or None,
            account_name=account_name or account_id or None,
            created_at=created,
            valid_at=valid,
            fields=fields,
        )
