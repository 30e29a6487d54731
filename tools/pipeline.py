"""Pipeline review: at-risk, slipped and stalled deals, ranked by value at risk.

Value at risk is ``amount * (1 - p)``, with ``p`` the deal's stored win probability when
scoring has run, else a stage-based prior (the stage's position in the org's stage list).
A deal is *at risk* when it has any warning flag: no buyer activity for
``QUIET_DAYS``, a close date in the past, a pushed close date, a stage regression, or it
is *stalled* (in its stage for more than ``STALL_DAYS`` with no buyer activity in
``QUIET_DAYS``), or it matches one of the org's significant stall patterns (a condition
after which deals went dark more often, ``tools.patterns``); those deals are listed under
"stalled" too, since they are where the next stall is likely to come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlmodel import Session

from memory.asof import deals_as_of
from memory.db import session_scope
from memory.models import DEFAULT_STAGES, Org, User
from memory.timeline import deal_velocity
from tools.access import allowed_deal_ids
from tools.context import ToolContext
from tools.owners import owner_scope
from tools.patterns import match_open_deals
from tools.results import ToolResult, money, pct
from tools.scores import score_source

Focus = Literal["at_risk", "slipped", "stalled", "all"]
QUIET_DAYS = 14.0
STALL_DAYS = 45.0
MAX_LISTED = 8
PATTERN_FLAG = "matches stall pattern"


@dataclass
class ReviewedDeal:
    """One open deal with its warning flags and value at risk."""

    deal_id: str
    name: str
    owner: str
    stage: str
    amount: float
    close_date: str | None
    win_probability: float
    scored: bool
    flags: list[str] = field(default_factory=list)
    patterns: list[dict[str, Any]] = field(default_factory=list)
    """Stall patterns it matches: ``{"key", "text", "rate_pattern", "rate_rest", "n_pattern"}``."""

    @property
    def value_at_risk(self) -> float:
        """Amount times the chance of losing it."""
        return round(self.amount * (1.0 - self.win_probability), 2)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__, value_at_risk=self.value_at_risk)


def _stage_prior(stages: list[str], stage: str | None) -> float:
    open_stages = [s for s in stages if s not in ("closed_won", "closed_lost")]
    if stage not in open_stages or len(open_stages) < 2:
        return 0.2
    return round(0.1 + 0.6 * open_stages.index(stage) / (len(open_stages) - 1), 3)


def _flags(v: dict[str, Any], close_date: str | None, today: str) -> list[str]:
    flags: list[str] = []
    quiet = v.get("days_since_last_buyer_activity")
    if quiet is None or quiet > QUIET_DAYS:
        flags.append("no recent buyer activity")
    if close_date and close_date < today:
        flags.append("close date in the past")
    if v.get("close_date_pushes"):
        flags.append(f"close date pushed {v['close_date_pushes']}x")
    if v.get("stage_regressions"):
        flags.append("stage went backwards")
    if (v.get("days_in_stage") or 0) > STALL_DAYS and (quiet is None or quiet > QUIET_DAYS):
        flags.append("stalled")
    return flags


def _matches(deal: ReviewedDeal, focus: Focus) -> bool:
    if focus == "all":
        return True
    if focus == "slipped":
        return any(f.startswith("close date") for f in deal.flags)
    if focus == "stalled":
        return any(f == "stalled" or f.startswith(PATTERN_FLAG) for f in deal.flags)
    return bool(deal.flags)


def _flag_stall_patterns(session: Session, ctx: ToolContext, deals: list[ReviewedDeal]) -> None:
    carried = match_open_deals(session, ctx, [d.deal_id for d in deals], stall_only=True)
    for d in deals:
        found = carried.get(d.deal_id)
        stalls = [p for p in (found.patterns if found else []) if p["relation"] == "stall"]
        if not stalls:
            continue
        keep = ("key", "text", "rate_pattern", "rate_rest", "n_pattern")
        d.patterns = [{k: p.get(k) for k in keep} for p in stalls]
        top = stalls[0]
        cond = str(top.get("key", "")).removeprefix("stall:").replace("_", " ").replace("+", " + ")
        d.flags.append(
            f"{PATTERN_FLAG} ({cond}: went dark {float(top.get('rate_pattern', 0)):.0%} vs "
            f"{float(top.get('rate_rest', 0)):.0%}, {top.get('n_pattern', '?')} deals)"
        )


def review_pipeline(ctx: ToolContext, focus: Focus, owner: str) -> ToolResult:
    """Review open deals: at-risk, slipped close dates or stalled, ranked by value at risk.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        focus: "at_risk" (any warning), "slipped" (close date pushed or past), "stalled", or "all".
        owner: Whose deals: empty for the user's own (a manager's whole team), or a rep's name.
    """
    if focus not in ("at_risk", "slipped", "stalled", "all"):
        focus = "at_risk"
    today = ctx.now.date().isoformat()
    scores = score_source(ctx)
    with session_scope(ctx.engine) as session:
        scope = owner_scope(session, ctx, owner, tool="review_pipeline")
        if isinstance(scope, ToolResult):
            return scope
        org = session.get(Org, ctx.viewer.org_id)
        stages = list(org.stages) if org and org.stages else list(DEFAULT_STAGES)
        allowed = allowed_deal_ids(session, ctx.viewer, as_of=ctx.now)
        states = deals_as_of(
            session, org_id=ctx.viewer.org_id, as_of=ctx.now, deal_ids=allowed, include_closed=False
        )
        cards = scores.many(ctx.viewer.org_id, [s.deal_id for s in states], as_of=ctx.now)
        names = {u.id: u.name for u in session.exec(User.__table__.select()).all()}  # type: ignore[attr-defined, call-overload]
        reviewed: list[ReviewedDeal] = []
        for s in states:
            if scope.owner_ids is not None and s.owner_id not in scope.owner_ids:
                continue
            velocity = deal_velocity(
                session, org_id=ctx.viewer.org_id, deal_id=s.deal_id, as_of=ctx.now
            )
            card = cards.get(s.deal_id)
            close = s.close_date.isoformat() if s.close_date else None
            reviewed.append(
                ReviewedDeal(
                    deal_id=s.deal_id,
                    name=str(s.fields.get("name") or s.name),
                    owner=names.get(s.owner_id or "", "unassigned"),
                    stage=s.stage or "unknown",
                    amount=s.amount or 0.0,
                    close_date=close,
                    win_probability=card["win_probability"]
                    if card
                    else _stage_prior(stages, s.stage),
                    scored=card is not None,
                    flags=_flags(velocity.as_dict() if velocity else {}, close, today),
                )
            )
        _flag_stall_patterns(session, ctx, reviewed)
    chosen = sorted((d for d in reviewed if _matches(d, focus)), key=lambda d: -d.value_at_risk)
    total = sum(d.value_at_risk for d in chosen)
    title = {"at_risk": "at-risk", "slipped": "slipped", "stalled": "stalled", "all": "open"}[focus]
    lines = [
        f"{scope.label.capitalize()} {title} deals: {len(chosen)} of {len(reviewed)} open, "
        f"value at risk {money(total)}"
    ]
    for i, d in enumerate(chosen[:MAX_LISTED], 1):
        why = ", ".join(d.flags) or "no warnings"
        basis = "score" if d.scored else "stage prior"
        lines.append(
            f"{i}. {d.name} ({d.owner}): {money(d.amount)}, {d.stage}, close {d.close_date or 'unknown'}, "
            f"win {pct(d.win_probability)} ({basis}), at risk {money(d.value_at_risk)}: {why}"
        )
    if len(chosen) > MAX_LISTED:
        lines.append(f"... and {len(chosen) - MAX_LISTED} more")
    if not any(d.scored for d in reviewed):
        lines.append("Note: no deal scores exist yet, so win chances are stage-based priors.")
    return ToolResult(
        "review_pipeline",
        "ok",
        "\n".join(lines),
        data={"focus": focus, "deals": [d.as_dict() for d in chosen], "value_at_risk": total},
    )
