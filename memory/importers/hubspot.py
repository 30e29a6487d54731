"""Importing a HubSpot deals export (a snapshot; HubSpot exports carry no field history).

Each row is read as the deal's state at its ``Last Modified Date`` (or the snapshot
date given), like any CSV snapshot; every column not mapped to a core field becomes a
custom field (``Deal Type`` -> ``deal_type``, ``Pipeline`` -> ``pipeline``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from memory.importers.context import open_context
from memory.importers.csv_mapped import Progress, import_snapshot_table
from memory.importers.mapping import Columns, ImportMapping, load_mapping
from memory.importers.readers import read_csv
from memory.importers.report import ImportReport

HUBSPOT_STAGES = {
    "appointmentscheduled": "prospecting",
    "qualifiedtobuy": "qualification",
    "presentationscheduled": "solution",
    "decisionmakerboughtin": "proposal",
    "contractsent": "negotiation",
    "closedwon": "closed_won",
    "closedlost": "closed_lost",
}
"""HubSpot's default sales pipeline onto Keel's stages. Internal ids and display labels
("Decision Maker Bought-In") share a key, since labels are compared ignoring case,
spaces and punctuation; a trailing "(Pipeline name)" is ignored."""

HUBSPOT_MAPPING = ImportMapping(
    source="hubspot",
    date_formats=["%Y-%m-%d", "%m/%d/%Y"],
    datetime_formats=["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p"],
    missing_columns="ignore",
    custom_columns=r".",
    columns=Columns(
        deal_id=["Record ID", "Deal ID"],
        name=["Deal Name"],
        account_id=["Associated Company ID", "Company ID"],
        account_name=["Associated Company", "Associated Company (Primary)", "Company name"],
        stage=["Deal Stage"],
        amount=["Amount"],
        currency=["Currency", "Deal currency code"],
        close_date=["Close Date"],
        owner=["Deal owner", "Deal Owner", "HubSpot Owner"],
        forecast_category=["Forecast category", "Forecast Category"],
        created_at=["Create Date"],
        valid_as_of=["Last Modified Date"],
    ),
    stages=HUBSPOT_STAGES,
)
"""Built-in mapping of HubSpot's deals export."""


def hubspot_mapping(path: Path | None = None) -> ImportMapping:
    """The built-in HubSpot mapping, extended by a user mapping TOML if given."""
    return load_mapping(path, base=HUBSPOT_MAPPING) if path else HUBSPOT_MAPPING


def import_hubspot(
    session: Session,
    path: Path,
    *,
    org_id: str,
    mapping: ImportMapping | None = None,
    as_of: datetime | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a HubSpot deals export CSV into the caller's transaction.

    Args:
        session: Open session; the caller commits or rolls back (see ``run_import``).
        path: The export CSV.
        org_id: Org to import into (created if missing).
        mapping: Mapping to use instead of :data:`HUBSPOT_MAPPING`.
        as_of: Snapshot valid time for rows without a Last Modified Date.
        now: Ingestion time; defaults to the current time.
        progress: Optional progress callback.

    Raises:
        ImportFailed: a file-level problem; nothing should be committed.
    """
    mapping = mapping or HUBSPOT_MAPPING
    report = ImportReport(source="hubspot", org_id=org_id, files=[path.name])
    ctx, created = open_context(session, org_id, now=now)
    report.inserted.update(created.inserted)
    table = read_csv(path, delimiter=mapping.delimiter)
    import_snapshot_table(session, ctx, report, table, mapping, as_of=as_of, progress=progress)
    return report
