"""Morning briefings: compose a short, prioritised briefing for a rep or a manager's team.

Deterministic text by default (leads with what matters, context and a suggested action per
item, a few items, one line "all quiet" when nothing matters); an optional chat model may
reword it. :func:`deliver` is idempotent per (org, user, day, kind): it claims the
briefing row first, so a second scheduler process finds it taken and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.language_models import BaseChatModel
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from agent.prompts.briefing import polish_messages
from memory.briefing_store import AlertRecord, Briefing, claim_briefing, said_keys
from memory.db import session_scope
from memory.models import User
from scoring.alert_feed import AlertFeed, Predictor, load_score_history
from scoring.alerts import Alert, select_items
from scoring.patterns.settings import AlertSettings

KIND_TITLES = {
    "probability_drop": "win probability dropped", "champion_lost": "champion lost",
    "budget_frozen": "budget frozen", "stall_risk": "stall risk", "gone_dark": "gone dark",
    "eb_quiet": "economic buyer quiet", "competitor_entered": "competitor entered",
    "close_pushed": "close date pushed past quarter end",
}  # fmt: skip


@dataclass
class BriefingDoc:
    """A composed briefing."""

    user_id: str
    day: str
    kind: str
    text: str
    items: list[Alert] = field(default_factory=list)
    not_shown: int = 0
    open_deals: int = 0

    @property
    def all_quiet(self) -> bool:
        """Nothing worth saying today."""
        return not self.items

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"user_id": self.user_id, "day": self.day, "kind": self.kind, "text": self.text,
                "all_quiet": self.all_quiet, "not_shown": self.not_shown, "open_deals": self.open_deals,
                "items": [a.as_dict() for a in self.items]}  # fmt: skip


def render(name: str, day: str, items: list[Alert], *, not_shown: int, open_deals: int) -> str:
    """Deterministic briefing text."""
    first = name.split()[0] if name else "there"
    if not items:
        return f"Good morning {first}: all quiet on your {open_deals} open deals today."
    n = len(items)
    lines = [
        f"Good morning {first}: {n} thing{'s' if n > 1 else ''} need{'' if n > 1 else 's'} you today."
    ]
    for i, a in enumerate(items, 1):
        lines.append(f"{i}. {a.deal_name} ({a.value_at_risk:,.0f} at risk, {KIND_TITLES[a.kind]}): "
                     f"{a.context} Suggested: {a.action}")  # fmt: skip
    if not_shown:
        lines.append(f"(+{not_shown} smaller item{'s' if not_shown > 1 else ''} not shown.)")
    return "\n".join(lines)


def local_day(at: datetime, tz: str) -> str:
    """The user's local calendar day at ``at``."""
    return at.astimezone(ZoneInfo(tz)).date().isoformat()


def briefing_instant(day: str, tz: str, hour: int = 7) -> datetime:
    """The instant of ``hour``:00 local time on ``day`` (what the briefing knows)."""
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=ZoneInfo(tz))


def _owners(session: Session, org_id: str, user: User) -> list[str]:
    if user.role != "manager":
        return [user.id]
    team = session.scalars(
        select(col(User.id)).where(col(User.org_id) == org_id, col(User.manager_id) == user.id)
    )
    return [user.id, *team]


def compose_all(
    session: Session, *, org_id: str, users: list[User], day: str, model: Predictor | None,
    stalls: dict[str, str] | None, settings: AlertSettings | None = None,
    said: set[tuple[str, str]] | None = None, warmup_days: int = 14,
) -> list[BriefingDoc]:  # fmt: skip
    """Compose the briefings of many users for ``day`` (one alert pass per timezone).

    Args:
        session: Open session.
        org_id: The org.
        users: Reps (own deals) and managers (their team's deals and their own).
        day: Local day ``YYYY-MM-DD``; each briefing knows what was recorded by 07:00 local.
        model: Win-probability model (None = no probability-drop alerts).
        stalls: Stall conditions -> pattern text (``scoring.alert_feed.stall_conditions``).
        settings: Alert thresholds and briefing size.
        said: ``(deal_id, key)`` already told; default read from the alert history.
        warmup_days: Days of probability history used as "normal variation": read from
            the stored score history when there is one, else re-scored with ``model``.
    """
    cfg = settings or AlertSettings()
    by_tz: dict[str, list[User]] = {}
    for u in users:
        by_tz.setdefault(u.timezone, []).append(u)
    docs: dict[str, BriefingDoc] = {}
    latest = max((briefing_instant(day, tz) for tz in by_tz), default=None)
    if latest is None:
        return []
    # Load once (up to the latest morning); each timezone filters to its own instant.
    base = AlertFeed(session, org_id=org_id, until=latest, model=model, stalls=stalls,
                     owners=None, settings=cfg)  # fmt: skip
    earliest = min(briefing_instant(day, tz) for tz in by_tz)
    history = load_score_history(session, org_id=org_id, deal_ids=list(base.events),
                                 since=earliest - timedelta(days=warmup_days + 1), until=latest)  # fmt: skip
    for tz, group in by_tz.items():
        at = briefing_instant(day, tz)
        owners = {u.id: _owners(session, org_id, u) for u in group}
        feed = base.fork(owners=sorted({o for os in owners.values() for o in os}))
        alerts = feed.run_day(at, warmup_days=warmup_days, history=history or None)
        told = said
        if told is None:
            told = set(said_keys(session, org_id=org_id, deal_ids=sorted(feed.prev)))
        for u in group:
            mine = set(owners[u.id])
            items, rest = select_items(
                [a for a in alerts if a.owner in mine], said=told, settings=cfg
            )
            n_open = sum(1 for r in feed.prev.values() if r.owner in mine)
            text = render(u.name, day, items, not_shown=rest, open_deals=n_open)
            kind = "team" if u.role == "manager" else "rep"
            docs[u.id] = BriefingDoc(u.id, day, kind, text, items, rest, n_open)
    return [docs[u.id] for u in users]


def compose(
    session: Session, *, org_id: str, user: User, day: str, model: Predictor | None,
    stalls: dict[str, str] | None, settings: AlertSettings | None = None,
    said: set[tuple[str, str]] | None = None, warmup_days: int = 14,
) -> BriefingDoc:  # fmt: skip
    """Compose one user's briefing (a manager gets the team roll-up); see :func:`compose_all`."""
    return compose_all(session, org_id=org_id, users=[user], day=day, model=model, stalls=stalls,
                       settings=settings, said=said, warmup_days=warmup_days)[0]  # fmt: skip


def polish(
    doc: BriefingDoc, chat_model: BaseChatModel, *, preferences: list[str] | None = None
) -> str:
    """LLM-reworded briefing text; falls back to the deterministic text on any failure."""
    if doc.all_quiet:
        return doc.text
    try:
        out = chat_model.invoke(polish_messages(doc.text, preferences=preferences))
    except Exception:  # the deterministic text is always good enough to send
        return doc.text
    text = out.content if isinstance(out.content, str) else ""
    return text.strip() or doc.text


def deliver(
    engine: Engine, *, org_id: str, user: User, day: str, now: datetime, claimed_by: str,
    make: Callable[[Session], BriefingDoc],
) -> Briefing | None:  # fmt: skip
    """Claim, compose and store one briefing; ``None`` if it was already claimed (no double send).

    The claim is committed before composing, so another process racing for the same
    (org, user, day, kind) loses at the unique key. Alerts told are recorded so they are
    not repeated.
    """
    kind = "team" if user.role == "manager" else "rep"
    with session_scope(engine) as s:
        row = claim_briefing(s, org_id=org_id, user_id=user.id, day=day, kind=kind,
                             claimed_by=claimed_by, now=now)  # fmt: skip
        if row is None:
            return None
        row_id = row.id
    with session_scope(engine) as s:
        doc = make(s)
        for a in doc.items:
            for key in [a.key, *a.also]:
                try:
                    with s.begin_nested():  # a teammate's briefing may have told it already
                        s.add(AlertRecord(org_id=org_id, deal_id=a.deal_id, user_id=user.id,
                                          key=key, kind=a.kind, first_at=now, last_at=now,
                                          value_at_risk=a.value_at_risk))  # fmt: skip
                except IntegrityError:
                    continue
        stored = s.get(Briefing, row_id)
        if stored is None:  # pragma: no cover - the row was committed above
            raise RuntimeError(f"briefing {row_id} vanished after being claimed")
        stored.status, stored.text, stored.payload = "ready", doc.text, doc.as_dict()
        s.add(stored)
        s.flush()
        s.expunge(stored)
    return stored


def next_local_morning(now: datetime, tz: str, hour: int = 7) -> datetime:
    """The next ``hour``:00 in ``tz`` after ``now`` (UTC-aware)."""
    local = now.astimezone(ZoneInfo(tz))
    target = datetime.combine(local.date(), time(hour), tzinfo=ZoneInfo(tz))
    if target <= local:
        target = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=ZoneInfo(tz))
    return target
