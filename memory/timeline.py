"""A deal's timeline (what changed, when) and its velocity measures as of an instant."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import Session

from memory.asof import field_history
from memory.models import CLOSED_STAGES, DEFAULT_STAGES, Activity, Deal, FieldChange, Org


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a deal."""

    at: datetime
    recorded_at: datetime
    kind: str  # "created" | "field" | "activity"
    field: str | None = None
    old: Any = None
    new: Any = None
    correction: bool = False
    activity_id: str | None = None
    activity_kind: str | None = None
    summary: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["recorded_at"] = self.recorded_at.isoformat()
        return data


@dataclass(frozen=True)
class Velocity:
    """How a deal has been moving, as of one instant."""

    age_days: float
    days_in_stage: float | None
    stage_transitions: int
    stage_regressions: int
    close_date_pushes: int
    close_date_push_days: float
    amount_changes: int
    amount_change_pct: float | None
    activities: int
    buyer_activities: int
    days_since_last_buyer_activity: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def _snippet(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def deal_timeline(
    session: Session,
    *,
    org_id: str,
    deal_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    known_at: datetime | None = None,
) -> list[TimelineEntry]:
    """Return the deal's events in valid-time order, each field change with its old value.

    A record with the same field and ``valid_from`` as an earlier one, recorded later,
    is shown as a correction. ``known_at`` hides what was recorded after that instant.
    """
    deal = session.get(Deal, deal_id)
    if deal is None or deal.org_id != org_id:
        return []
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    # The deal's org was checked above; filtering on deal_id alone keeps SQLite on the
    # per-deal index instead of scanning the org's whole history.
    conditions = [fc.c.deal_id == deal_id]
    if known_at is not None:
        conditions.append(fc.c.recorded_at <= known_at)
    if until is not None:
        conditions.append(fc.c.valid_from <= until)
    rows = session.execute(
        select(fc.c.field, fc.c.value, fc.c.valid_from, fc.c.recorded_at, fc.c.source)
        .where(and_(*conditions))
        .order_by(fc.c.valid_from, fc.c.recorded_at, fc.c.id)
    ).all()
    entries: list[TimelineEntry] = []
    if (since is None or deal.created_at >= since) and (until is None or deal.created_at <= until):
        if known_at is None or deal.recorded_at <= known_at:
            entries.append(
                TimelineEntry(
                    at=deal.created_at,
                    recorded_at=deal.recorded_at,
                    kind="created",
                    summary=deal.name,
                    source=deal.source,
                )
            )
    current: dict[str, tuple[datetime, Any]] = {}
    for name, value, valid_from, recorded_at, source in rows:
        previous = current.get(name)
        correction = previous is not None and previous[0] == valid_from
        old = previous[1] if previous else None
        current[name] = (valid_from, value)
        if correction or old != value or previous is None:
            if since is None or valid_from >= since:
                entries.append(
                    TimelineEntry(
                        at=valid_from,
                        recorded_at=recorded_at,
                        kind="field",
                        field=name,
                        old=old,
                        new=value,
                        correction=correction,
                        source=source,
                    )
                )
    act = Activity.__table__  # type: ignore[attr-defined]
    a_conditions = [act.c.deal_id == deal_id]
    if since is not None:
        a_conditions.append(act.c.occurred_at >= since)
    if until is not None:
        a_conditions.append(act.c.occurred_at <= until)
    if known_at is not None:
        a_conditions.append(act.c.recorded_at <= known_at)
    for a in session.execute(
        select(
            act.c.id, act.c.kind, act.c.subject, act.c.body, act.c.occurred_at, act.c.recorded_at
        ).where(and_(*a_conditions))
    ):
        entries.append(
            TimelineEntry(
                at=a.occurred_at,
                recorded_at=a.recorded_at,
                kind="activity",
                activity_id=a.id,
                activity_kind=a.kind,
                summary=a.subject or _snippet(a.body),
            )
        )
    entries.sort(key=lambda e: (e.at, e.recorded_at, e.kind))
    return entries


def _stage_order(session: Session, org_id: str) -> dict[str, int]:
    org = session.get(Org, org_id)
    stages = org.stages if org is not None and org.stages else DEFAULT_STAGES
    return {name: i for i, name in enumerate(stages)}


def _days(delta_end: datetime, delta_start: datetime) -> float:
    return round((delta_end - delta_start).total_seconds() / 86400.0, 3)


def deal_velocity(
    session: Session,
    *,
    org_id: str,
    deal_id: str,
    as_of: datetime,
    known_at: datetime | None = None,
) -> Velocity | None:
    """Return velocity measures of a deal as of ``as_of`` (``None`` if it did not exist).

    A buyer activity is a call or meeting with a buyer-side participant, or an inbound
    email or note from the buyer.
    """
    deal = session.get(Deal, deal_id)
    if deal is None or deal.org_id != org_id or deal.created_at > as_of:
        return None
    if known_at is not None and deal.recorded_at > known_at:
        return None
    history = field_history(session, org_id=org_id, deal_id=deal_id, as_of=as_of, known_at=known_at)
    order = _stage_order(session, org_id)
    stages = _dedupe(history.get("stage", []))
    transitions = max(len(stages) - 1, 0)
    regressions = sum(
        1
        for (_, a), (_, b) in zip(stages, stages[1:], strict=False)
        if a not in CLOSED_STAGES and order.get(str(b), 0) < order.get(str(a), 0)
    )
    days_in_stage = _days(as_of, stages[-1][0]) if stages else None
    closes = _dedupe(history.get("close_date", []))
    pushes, push_days = 0, 0.0
    for (_, a), (_, b) in zip(closes, closes[1:], strict=False):
        if a and b and str(b) > str(a):
            pushes += 1
            push_days += (date.fromisoformat(str(b)[:10]) - date.fromisoformat(str(a)[:10])).days
    amounts = _dedupe(history.get("amount", []))
    amount_pct = None
    if len(amounts) >= 2 and amounts[0][1]:
        amount_pct = round((float(amounts[-1][1]) - float(amounts[0][1])) / float(amounts[0][1]), 4)
    act = Activity.__table__  # type: ignore[attr-defined]
    conditions = [act.c.deal_id == deal_id, act.c.occurred_at <= as_of]
    if known_at is not None:
        conditions.append(act.c.recorded_at <= known_at)
    total = 0
    buyer = 0
    last_buyer: datetime | None = None
    for kind, direction, participants, occurred in session.execute(
        select(act.c.kind, act.c.direction, act.c.participants, act.c.occurred_at).where(
            and_(*conditions)
        )
    ):
        total += 1
        if _is_buyer_activity(kind, direction, participants or []):
            buyer += 1
            if last_buyer is None or occurred > last_buyer:
                last_buyer = occurred
    return Velocity(
        age_days=_days(as_of, deal.created_at),
        days_in_stage=days_in_stage,
        stage_transitions=transitions,
        stage_regressions=regressions,
        close_date_pushes=pushes,
        close_date_push_days=float(push_days),
        amount_changes=max(len(amounts) - 1, 0),
        amount_change_pct=amount_pct,
        activities=total,
        buyer_activities=buyer,
        days_since_last_buyer_activity=_days(as_of, last_buyer) if last_buyer else None,
    )


def _dedupe(entries: list[tuple[datetime, Any]]) -> list[tuple[datetime, Any]]:
    """Drop entries that repeat the previous value (a re-sync is not a change)."""
    out: list[tuple[datetime, Any]] = []
    for at, value in entries:
        if not out or out[-1][1] != value:
            out.append((at, value))
    return out


def _is_buyer_activity(
    kind: str, direction: str | None, participants: list[dict[str, Any]]
) -> bool:
    if kind in ("call", "meeting"):
        return any(p.get("side") == "buyer" for p in participants)
    return direction == "inbound"
