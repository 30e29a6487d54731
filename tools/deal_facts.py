"""The facts about one deal that answers and drafts are grounded in, read as of "now".

They include the significant cross-deal patterns the deal carries (``tools.patterns``), so
a deal lookup shows "Matches pattern: ..." and drafting knows who on the buyer side is engaged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import Session

from memory.asof import deal_as_of
from memory.models import Account, Activity, Deal, User
from memory.timeline import deal_velocity
from tools.context import ToolContext
from tools.patterns import match_open_deals, pattern_line
from tools.results import money

RECENT_ACTIVITIES = 3


@dataclass
class DealFacts:
    """A deal's current state, velocity, people and latest activity, in plain values."""

    deal_id: str
    name: str
    account: str
    industry: str | None
    segment: str | None
    stage: str | None
    amount: float | None
    currency: str | None
    close_date: str | None
    forecast_category: str | None
    owner_id: str | None
    owner_name: str | None
    created: str
    custom: dict[str, Any] = field(default_factory=dict)
    velocity: dict[str, Any] = field(default_factory=dict)
    buyers: list[dict[str, str]] = field(default_factory=list)
    recent: list[dict[str, str]] = field(default_factory=list)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    """Significant patterns the deal carries (``tools.patterns.deal_patterns_for`` form)."""
    engaged_buyers: list[str] | None = None
    """Buyer-side people present in buyer activity so far (None = not known: no pattern run)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)

    def lines(
        self, *, with_patterns: bool = True, recent: int = RECENT_ACTIVITIES, contacts: int = 4
    ) -> list[str]:
        """Facts as short lines for the model (numbers already formatted).

        Args:
            with_patterns: End with one "Matches pattern: ..." line per carried pattern.
            recent: Show at most this many latest activities.
            contacts: Name at most this many buyer contacts.
        """
        v = self.velocity
        where = ", ".join(x for x in (self.industry, self.segment) if x)
        # The account is named only when the deal's name does not already start with it:
        # every line here is read by the model on each answer, so repeats cost time.
        account = "" if self.name.startswith(self.account) else f"account {self.account}"
        context = "; ".join(x for x in (account, where) if x)
        stage = self.stage or "unknown"
        if v.get("days_in_stage") is not None:
            stage += f" ({v['days_in_stage']:.0f} days in stage)"
        out = [
            f"Deal: {self.name}" + (f" ({context})" if context else ""),
            f"Stage: {stage}",
            f"Amount: {money(self.amount, self.currency)}",
            f"Close date: {self.close_date or 'unknown'}",
            f"Forecast: {self.forecast_category or 'unknown'}",
            f"Owner: {self.owner_name or 'unassigned'}",
        ]
        if v.get("close_date_pushes"):
            out.append(f"Close date pushed {v['close_date_pushes']} time(s)")
        last = v.get("days_since_last_buyer_activity")
        out.append("Last buyer activity: " + ("never" if last is None else f"{last:.0f} days ago"))
        if self.buyers:
            out.append(
                "Buyer contacts: "
                + "; ".join(
                    f"{b['name']}" + (f" ({b['title']})" if b.get("title") else "")
                    for b in self.buyers[:contacts]
                )
            )
        for a in self.recent[:recent]:
            out.append(f"{a['date']} {a['kind']}: {a['summary']}")
        if with_patterns:
            out += [pattern_line(p) for p in self.patterns]
        return out


def _snippet(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _activities(
    session: Session, ctx: ToolContext, deal_id: str
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    act = Activity.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(act.c.kind, act.c.subject, act.c.body, act.c.participants, act.c.occurred_at)
        .where(and_(act.c.deal_id == deal_id, act.c.occurred_at <= ctx.now))
        .order_by(act.c.occurred_at.desc())
    ).all()
    recent = [
        {
            "date": r.occurred_at.date().isoformat(),
            "kind": r.kind,
            "summary": _snippet(r.subject or r.body),
        }
        for r in rows[:RECENT_ACTIVITIES]
    ]
    buyers: dict[str, dict[str, str]] = {}
    for r in rows:
        for p in r.participants or []:
            if p.get("side") == "buyer" and p.get("name") and p["name"] not in buyers:
                buyers[p["name"]] = {
                    "name": str(p["name"]),
                    "title": str(p.get("title") or ""),
                    "email": str(p.get("email") or ""),
                }
    return recent, list(buyers.values())


def load_deal_facts(session: Session, ctx: ToolContext, deal_id: str) -> DealFacts | None:
    """Return the facts of an (already access-checked) deal as of ``ctx.now``."""
    org_id = ctx.viewer.org_id
    state = deal_as_of(session, org_id=org_id, deal_id=deal_id, as_of=ctx.now)
    deal = session.get(Deal, deal_id)
    if state is None or deal is None:
        return None
    account = session.get(Account, deal.account_id)
    owner = session.get(User, state.owner_id) if state.owner_id else None
    velocity = deal_velocity(session, org_id=org_id, deal_id=deal_id, as_of=ctx.now)
    recent, buyers = _activities(session, ctx, deal_id)
    carried = match_open_deals(session, ctx, [deal_id]).get(deal_id)
    core = {"stage", "amount", "currency", "close_date", "owner_id", "forecast_category", "name"}
    return DealFacts(
        deal_id=deal_id,
        name=str(state.fields.get("name") or deal.name),
        account=account.name if account else "unknown",
        industry=account.industry if account else None,
        segment=account.segment if account else None,
        stage=state.stage,
        amount=state.amount,
        currency=str(state.fields.get("currency") or "USD"),
        close_date=state.close_date.isoformat() if state.close_date else None,
        forecast_category=state.forecast_category,
        owner_id=state.owner_id,
        owner_name=owner.name if owner else None,
        created=deal.created_at.date().isoformat(),
        custom={k: v for k, v in state.fields.items() if k not in core},
        velocity=velocity.as_dict() if velocity else {},
        buyers=buyers,
        recent=recent,
        patterns=carried.patterns if carried else [],
        engaged_buyers=list(carried.engaged_buyers) if carried else None,
    )
