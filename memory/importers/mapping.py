"""The TOML column mapping that tells the CSV importer what each column means.

A mapping names the CSV column (or alternative columns) behind each Keel deal field,
how to read values (date formats, decimal mark, time zone) and how to translate the
CRM's labels (stages, statuses, forecast categories, owners) into Keel's. The
Salesforce and HubSpot importers use built-in mappings that a user file can extend.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from memory.importers.report import ImportFailed
from memory.models import CORE_FIELDS, FORECAST_CATEGORIES

ColumnRef = str | list[str]
"""A column header, or alternative headers of which the first present one is used."""

DEAL_COLUMNS = (
    "deal_id",
    "name",
    "account_id",
    "account_name",
    "stage",
    "amount",
    "currency",
    "close_date",
    "owner",
    "forecast_category",
    "created_at",
    "valid_as_of",
    "status",
    "won",
    "lost",
    "closed",
)


class Columns(BaseModel):
    """Which CSV column holds each deal attribute (only ``deal_id`` is required)."""

    model_config = ConfigDict(extra="forbid")

    deal_id: ColumnRef
    name: ColumnRef | None = None
    account_id: ColumnRef | None = None
    account_name: ColumnRef | None = None
    stage: ColumnRef | None = None
    amount: ColumnRef | None = None
    currency: ColumnRef | None = None
    close_date: ColumnRef | None = None
    owner: ColumnRef | None = None
    forecast_category: ColumnRef | None = None
    created_at: ColumnRef | None = None
    valid_as_of: ColumnRef | None = None
    status: ColumnRef | None = None
    won: ColumnRef | None = None
    lost: ColumnRef | None = None
    closed: ColumnRef | None = None


class CustomField(BaseModel):
    """A CSV column imported as a custom deal field."""

    model_config = ConfigDict(extra="forbid")

    field: str
    type: Literal["text", "number", "date", "bool"] = "text"

    @field_validator("field")
    @classmethod
    def _not_core(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
            raise ValueError(f"custom field name {value!r} must be snake_case")
        if value in CORE_FIELDS:
            raise ValueError(f"{value!r} is a core deal field: map it under [columns]")
        return value


class ImportMapping(BaseModel):
    """A validated column mapping (the TOML file's content).

    Attributes:
        source: Label stored on every imported record (``source`` column).
        delimiter: CSV delimiter; sniffed from the header line when unset.
        decimal: Decimal mark of amounts (``.`` or ``,``).
        date_formats: ``strptime`` formats for dates (ISO timestamps always work too).
        datetime_formats: Extra ``strptime`` formats for timestamps (ISO always works).
        timezone: IANA zone for timestamps without an offset.
        snapshot_date: Valid time of the snapshot when no ``valid_as_of`` column is given.
        missing_columns: ``error`` if a mapped column is absent from the header, or ``ignore``.
        custom_columns: Regex; unmapped headers matching it become custom fields (snake_case).
        default_currency: Currency for rows without one.
        seller_domains: Email domains of the seller (decide participant sides).
        columns: Column of each deal attribute.
        custom_fields: CSV column -> custom field name (or ``{field, type}``).
        stages: CRM stage label -> org stage name.
        status_values: Status column value -> ``closed_won`` / ``closed_lost`` / ``open``.
        forecast_categories: CRM label -> Keel forecast category.
        owners: CRM owner value -> Keel user id.
    """

    model_config = ConfigDict(extra="forbid")

    source: str = "csv"
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    decimal: Literal[".", ","] = "."
    date_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"], min_length=1)
    datetime_formats: list[str] = Field(default_factory=list)
    timezone: str = "UTC"
    snapshot_date: str | None = None
    missing_columns: Literal["error", "ignore"] = "error"
    custom_columns: str | None = None
    default_currency: str | None = None
    seller_domains: list[str] = Field(default_factory=list)
    columns: Columns
    custom_fields: dict[str, str | CustomField] = Field(default_factory=dict)
    stages: dict[str, str] = Field(default_factory=dict)
    status_values: dict[str, Literal["closed_won", "closed_lost", "open"]] = Field(
        default_factory=dict
    )
    forecast_categories: dict[str, str] = Field(default_factory=dict)
    owners: dict[str, str] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("custom_columns")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from exc
        return value

    @field_validator("forecast_categories")
    @classmethod
    def _categories(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(v for v in value.values() if v not in FORECAST_CATEGORIES)
        if bad:
            raise ValueError(f"unknown forecast categories {bad}; use {list(FORECAST_CATEGORIES)}")
        return value

    @field_validator("custom_fields")
    @classmethod
    def _custom(cls, value: dict[str, str | CustomField]) -> dict[str, str | CustomField]:
        for column, spec in value.items():
            if isinstance(spec, str):
                CustomField(field=spec)  # same checks as the table form
            if not column:
                raise ValueError("custom field column name is empty")
        return value

    def custom_field(self, column: str) -> CustomField:
        """Return the custom-field spec of a mapped column."""
        spec = self.custom_fields[column]
        return CustomField(field=spec) if isinstance(spec, str) else spec

    def column_refs(self) -> dict[str, list[str]]:
        """Each mapped attribute with its candidate headers, in preference order."""
        refs: dict[str, list[str]] = {}
        for name in DEAL_COLUMNS:
            ref = getattr(self.columns, name)
            if ref is not None:
                refs[name] = [ref] if isinstance(ref, str) else list(ref)
        return refs

    @property
    def zone(self) -> ZoneInfo:
        """Time zone for naive timestamps."""
        return ZoneInfo(self.timezone)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "mapping"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def read_mapping_data(path: Path) -> dict[str, Any]:
    """Read a mapping TOML file as a plain dict.

    Raises:
        ImportFailed: the file cannot be read or is not valid TOML.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(path, f"cannot read mapping file: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(path, f"invalid TOML: {exc}") from exc


def build_mapping(
    data: dict[str, Any], *, base: ImportMapping | None = None, name: str = "mapping"
) -> ImportMapping:
    """Validate mapping data, optionally layered over a built-in ``base`` mapping.

    Tables such as ``[stages]`` extend the base's; plain keys replace them.

    Raises:
        ImportFailed: the mapping is invalid (every problem is listed).
    """
    merged = _deep_merge(base.model_dump(exclude_none=True), data) if base else data
    try:
        return ImportMapping.model_validate(merged)
    except ValidationError as exc:
        raise ImportFailed(name, f"invalid mapping: {_describe(exc)}") from exc


def load_mapping(path: Path, *, base: ImportMapping | None = None) -> ImportMapping:
    """Load and validate a mapping TOML file (see :class:`ImportMapping`).

    Raises:
        ImportFailed: unreadable file, bad TOML or an invalid mapping.
    """
    return build_mapping(read_mapping_data(path), base=base, name=path.name)
