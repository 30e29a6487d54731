"""Extraction against the store: the content-hash cache, persisted signals, org facts.

An activity's signals are stored as one ``ActivitySignal`` row per (activity, content hash,
extractor version), ``valid_from`` = when the activity happened, ``recorded_at`` = when the
extraction ran. Before any LLM call the row is looked up: unchanged text under the same
extractor version is never extracted twice. The org's own facts (its name, its users'
email domains, competitors seen in its history) are read here for the extractor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from agent.extraction.document import ActivityInput
from agent.extraction.extract import Extractor
from agent.extraction.schema import ActivitySignals, ExtractionResult
from memory.db import utcnow
from memory.ingest import ingest
from memory.models import Activity, ActivitySignal, FieldChange, Org, User

COMPETITOR_FIELDS = ("competitor", "competitors", "primary_competitor", "main_competitor")
"""CRM fields whose values name competitors."""


def activity_input(row: Activity) -> ActivityInput:
    """The extraction input of a stored activity."""
    return ActivityInput(
        body=row.body,
        kind=row.kind,
        subject=row.subject,
        participants=list(row.participants or []),
        direction=row.direction,
        occurred_at=row.occurred_at,
    )


def cached_result(
    session: Session, *, activity_id: str, content_hash: str, extractor: str
) -> ExtractionResult | None:
    """The stored extraction of this exact text by this extractor version, if any."""
    row = session.execute(
        select(ActivitySignal.payload).where(  # type: ignore[call-overload]
            ActivitySignal.activity_id == activity_id,
            ActivitySignal.content_hash == content_hash,
            ActivitySignal.extractor == extractor,
        )
    ).first()
    if row is None:
        return None
    payload: dict[str, Any] = dict(row[0] or {})
    warnings = list(payload.pop("warnings", []) or [])
    payload.pop("skipped", None)
    return ExtractionResult(
        signals=ActivitySignals.model_validate(payload),
        extractor=extractor,
        cached=True,
        warnings=warnings,
    )


def signal_row(
    activity: Activity, result: ExtractionResult, *, recorded_at: datetime
) -> dict[str, Any]:
    """The ``ActivitySignal`` row of one extraction (warnings kept in the payload)."""
    payload = result.signals.payload()
    if result.warnings:
        payload["warnings"] = result.warnings
    return {
        "org_id": activity.org_id,
        "activity_id": activity.id,
        "deal_id": activity.deal_id,
        "content_hash": activity.content_hash,
        "extractor": result.extractor,
        "payload": payload,
        "valid_from": activity.occurred_at,
        "recorded_at": recorded_at,
    }


def extract_activity(
    session: Session,
    *,
    org_id: str,
    activity_id: str,
    extractor: Extractor,
    clock: Callable[[], datetime] = utcnow,
) -> ExtractionResult:
    """Return a stored activity's signals, extracting and storing them only if needed.

    Args:
        session: An open session; the new signal row is written in its transaction.
        org_id: The org the activity must belong to.
        activity_id: The activity.
        extractor: The extractor (its version is the cache key with the content hash).
        clock: Extraction time, stored as ``recorded_at``.

    Raises:
        LookupError: No such activity in this org.
        ExtractionInputError: The text is empty or over the size limit.
    """
    row = session.get(Activity, activity_id)
    if row is None or row.org_id != org_id:
        raise LookupError(f"no activity {activity_id!r} in org {org_id!r}")
    cached = cached_result(
        session, activity_id=row.id, content_hash=row.content_hash, extractor=extractor.version
    )
    if cached is not None:
        return cached
    result = extractor.extract(activity_input(row))
    ingest(session, signals=[signal_row(row, result, recorded_at=clock())])
    return result


def known_competitors(session: Session, org_id: str, *, min_count: int = 2) -> list[str]:
    """Competitor names in the org's history, most frequent first.

    Names come from stored signals (seen in at least ``min_count`` activities, so one bad
    extraction does not teach itself) and from competitor CRM fields (any count).
    """
    counts: Counter[str] = Counter()
    payloads = session.execute(
        select(ActivitySignal.payload)  # type: ignore[call-overload]
        .where(ActivitySignal.org_id == org_id)
        .execution_options(yield_per=2000)
    )
    for (payload,) in payloads:
        for name in set((payload or {}).get("competitors") or []):
            if isinstance(name, str) and name.strip():
                counts[name.strip()] += 1
    names = [n for n, c in counts.most_common() if c >= min_count]
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    fields = session.execute(
        select(fc.c.value).where(fc.c.org_id == org_id, fc.c.field.in_(COMPETITOR_FIELDS))
    )
    for (value,) in fields:
        for name in value if isinstance(value, list) else [value]:
            if isinstance(name, str) and name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names


def org_facts(session: Session, org_id: str) -> dict[str, list[str]]:
    """What the store knows about the org: its name, user email domains, known competitors.

    The keys are the keyword arguments of ``ExtractionConfig.from_settings``.
    """
    org = session.get(Org, org_id)
    emails = session.execute(
        select(User.email).where(User.org_id == org_id)  # type: ignore[call-overload]
    ).scalars()
    domains = sorted({e.rsplit("@", 1)[-1].casefold() for e in emails if e and "@" in e})
    return {
        "sellers": [org.name] if org is not None else [],
        "seller_domains": domains,
        "competitors": known_competitors(session, org_id),
    }
