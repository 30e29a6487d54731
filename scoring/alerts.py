"""Alert statistics: which changes to a deal matter today, and in what order to say them.

Pure functions over two snapshots of a deal (yesterday's and today's :class:`DealRecord`,
as Keel knew them then) plus today's win probability and its change statistics. Alerts
are ranked by value at risk (amount x probability at stake) x urgency (close date near)
x actionability (what the rep can do about it); repeats of what was already said are
suppressed by a stable key per alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from scoring.events import ActivityRow
from scoring.patterns.records import DAY, DealRecord
from scoring.patterns.settings import AlertSettings

RISK_KINDS = frozenset(
    {"probability_drop", "champion_lost", "budget_frozen", "stall_risk", "gone_dark"}
)
"""Alerts that claim the deal is in trouble (scored against true shocks and stalls)."""
IMPACT = {"champion_lost": 0.6, "budget_frozen": 0.6, "stall_risk": 0.4, "gone_dark": 0.6,
          "eb_quiet": 0.2, "competitor_entered": 0.2, "close_pushed": 0.15}  # fmt: skip
"""Share of the current probability at stake when no probability change is measured."""
ACTIONABILITY = {"stall_risk": 1.0, "eb_quiet": 0.9, "gone_dark": 0.8, "champion_lost": 0.8,
                 "competitor_entered": 0.8, "probability_drop": 0.6, "close_pushed": 0.5,
                 "budget_frozen": 0.4}  # fmt: skip
RECAP_DAYS = 1
"""A seller email on the day of the buyer's last activity or the next (the rep's calendar)
is the recap of that conversation; later ones chase a reply."""
ACTIONS = {
    "probability_drop": "Find out what changed: call your champion today and confirm the plan.",
    "champion_lost": "Find a new champion now: ask your remaining contacts who owns this, "
    "and meet them this week.",
    "budget_frozen": "Ask whether a smaller phase or a later start fits the freeze, "
    "and who can grant an exception.",
    "stall_risk": "Multi-thread now: bring in a second stakeholder (ideally the economic buyer) "
    "and propose a concrete date instead of another open follow-up.",
    "gone_dark": "Send a short break-up email with one concrete next step, and try a second "
    "contact at the account.",
    "eb_quiet": "Re-engage the economic buyer with a short business-case update.",
    "competitor_entered": "Ask what prompted the comparison and frame value the way that wins "
    "against this competitor.",
    "close_pushed": "Confirm the real decision date and what has to happen before it.",
}


@dataclass
class Alert:
    """One thing worth telling a rep about one deal."""

    deal_id: str
    deal_name: str
    owner: str | None
    kind: str
    key: str
    at: datetime
    context: str
    action: str
    value_at_risk: float
    urgency: float
    actionability: float
    patterns: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)

    @property
    def priority(self) -> float:
        """Value at risk x urgency x actionability."""
        return self.value_at_risk * self.urgency * self.actionability

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["at"] = self.at.isoformat()
        out["priority"] = round(self.priority, 2)
        out["value_at_risk"] = round(self.value_at_risk, 2)
        return out


@dataclass(frozen=True)
class ProbabilityChange:
    """Today's win probability and how its change compares with normal variation."""

    probability: float
    change: float | None = None
    z_own: float | None = None
    z_pipeline: float | None = None


def _serious(risk: str) -> bool:
    """A risk that can sink a deal on its own (not the routine review or concern)."""
    return (
        ("champion" in risk and ("left" in risk or "leav" in risk))
        or "freeze" in risk
        or "frozen" in risk
    )


def _quarter_end(d: date) -> date:
    q_end_month = ((d.month - 1) // 3 + 1) * 3
    nxt = date(d.year + (q_end_month == 12), q_end_month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _urgency(rec: DealRecord, t: float) -> float:
    if not rec.close_date:
        return 1.0
    try:
        days = (datetime.fromisoformat(rec.close_date).replace(tzinfo=UTC).timestamp() - t) / DAY
    except ValueError:
        return 1.0
    return 1.0 + 1.0 / (1.0 + max(days, 0.0) / 30.0)


def _unusual_drop(prob: ProbabilityChange, cfg: AlertSettings) -> float | None:
    """The size of today's drop if it is large and far outside normal variation, else None."""
    if prob.change is None or prob.z_own is None or prob.z_pipeline is None:
        return None
    if (
        prob.change <= -cfg.drop_min
        and prob.z_own <= -cfg.drop_z
        and prob.z_pipeline <= -cfg.drop_z
    ):
        return -prob.change
    return None


def chasing_followups(
    activities: Iterable[ActivityRow], *, last_buyer: float, t: float, tz: tzinfo = UTC
) -> int:
    """Seller emails known by ``t`` that chase a reply since the buyer's last activity.

    A recap sent the same or the next calendar day (in the rep's time zone ``tz``) after a
    conversation is part of it, not a follow-up waiting for an answer; counting it made
    every ordinary gap between meetings (recap, one check-in, a reply two weeks later)
    look like the start of a stall.
    """
    recap_until = datetime.fromtimestamp(last_buyer, tz).date().toordinal() + RECAP_DAYS
    return sum(
        1
        for a in activities
        if a.kind == "email"
        and a.direction == "outbound"
        and last_buyer < a.occurred <= t
        and a.recorded <= t
        and datetime.fromtimestamp(a.occurred, tz).date().toordinal() > recap_until
    )


def detect(  # noqa: C901 - one readable list of rules
    prev: DealRecord | None, cur: DealRecord, *, at: datetime, prob: ProbabilityChange,
    stall_conditions: dict[str, str], settings: AlertSettings | None = None,
    chasers: int | None = None,
) -> list[Alert]:  # fmt: skip
    """Alerts for one open deal between yesterday's and today's snapshot.

    A probability drop is briefed as its own (risk) item only when trouble arrived with
    it (a serious new risk, the deal going dark). A drop that comes with nothing but a new
    competitor is the model pricing in that competitor: it is told as the
    ``competitor_entered`` item, with the drop in its text and as its value at risk, not
    as a claim that the deal is in trouble (on the simulated orgs such drops were almost
    never followed by a real shock or stall).

    Args:
        prev: Yesterday's record (None the first time the deal is seen: nothing is "new").
        cur: Today's record.
        at: Today's instant.
        prob: Today's probability and its change statistics.
        stall_conditions: Significant stall conditions -> the pattern text to cite.
        settings: Thresholds.
        chasers: Seller follow-ups chasing the buyer since their last activity
            (:func:`chasing_followups`); None = every unanswered seller email counts.
    """
    cfg = settings or AlertSettings()
    t = at.timestamp()
    p = prob.probability
    found: list[tuple[str, str, str, float]] = []  # kind, key, context, probability at stake
    drop = _unusual_drop(prob, cfg)
    if prev is not None:
        new_risks = cur.risks - prev.risks
        if any("champion" in r and "left" in r for r in new_risks):
            found.append(
                ("champion_lost", "champion_lost", "The champion has left the company.", p)
            )
        if any("freeze" in r or "frozen" in r for r in new_risks):
            found.append(
                ("budget_frozen", "budget_frozen", "The buyer reports a budget freeze.", p)
            )
        for comp in sorted(set(cur.competitors) - set(prev.competitors)):
            text, stake = f"{comp} is now in the deal as an alternative.", p
            if drop is not None:
                text += f" Win probability fell {drop:.0%} with it, to {p:.0%}."
                stake = drop
            found.append(("competitor_entered", f"competitor:{comp}", text, stake))
        if prev.close_date and cur.close_date and cur.close_date > prev.close_date:
            q_end = _quarter_end(date.fromisoformat(prev.close_date))
            if date.fromisoformat(cur.close_date) > q_end >= date.fromisoformat(prev.close_date):
                found.append(("close_pushed", f"close_pushed:{cur.close_date[:7]}",
                              f"Close date moved from {prev.close_date} to {cur.close_date}, "
                              f"past the quarter end ({q_end.isoformat()}).", p))  # fmt: skip
    if drop is not None and prob.z_own is not None:
        trouble = prev is not None and (
            any(_serious(r) for r in cur.risks - prev.risks)
            or (cur.dark_from is not None and prev.dark_from is None))  # fmt: skip
        if trouble or not cfg.drop_needs_evidence:
            week = at.isocalendar()
            found.append(("probability_drop", f"probability_drop:{week[0]}-{week[1]}",
                          f"Win probability fell {drop:.0%} overnight to {p:.0%}, far "
                          f"outside its normal moves (z={prob.z_own:.1f}).", drop))  # fmt: skip
    quiet = (t - cur.last_buyer) / DAY
    if cur.dark_from is not None and cur.last_buyer <= cur.dark_from:  # still dark, not revived
        found.append(("gone_dark", f"dark:{int(cur.dark_from // DAY)}",
                      f"No reply from the buyer in {quiet:.0f} days despite {cur.unanswered} "
                      "follow-ups.", p))  # fmt: skip
    elif (
        cur.stall_points
        and quiet >= cfg.stall_quiet_days
        and (cur.unanswered if chasers is None else chasers) >= cfg.stall_followups
    ):
        last_at, conds = cur.stall_points[-1]
        hits = [stall_conditions[c] for c in conds if c in stall_conditions]
        if last_at >= cur.last_buyer - 1 and hits:
            found.append(("stall_risk", f"stall:{int(cur.last_buyer // DAY)}",
                          f"Quiet for {quiet:.0f} days after a touch that matches a stall pattern. "
                          f"{hits[0]}", p))  # fmt: skip
    if cur.eb_last is not None and (t - cur.eb_last) / DAY >= cfg.eb_quiet_days:
        found.append(("eb_quiet", f"eb_quiet:{int(cur.eb_last // DAY)}",
                      f"The economic buyer has not engaged for {(t - cur.eb_last) / DAY:.0f} days.",
                      p))  # fmt: skip
    urgency = _urgency(cur, t)
    out = []
    for kind, key, context, stake in found:
        measured = drop is not None and kind in ("probability_drop", "competitor_entered")
        share = 1.0 if measured else IMPACT.get(kind, 0.2)
        var = max(cur.amount, 0.0) * max(stake, 0.0) * share
        out.append(Alert(cur.deal_id, cur.name, cur.owner, kind, key, at, context, ACTIONS[kind],
                         var, urgency, ACTIONABILITY[kind]))  # fmt: skip
    return out


def select_items(
    alerts: list[Alert], *, said: set[tuple[str, str]], settings: AlertSettings | None = None
) -> tuple[list[Alert], int]:
    """Drop repeats, merge a deal's alerts into one item, keep the top items by priority.

    Args:
        alerts: Candidate alerts for one rep.
        said: ``(deal_id, key)`` pairs already told (suppressed).
        settings: ``max_items`` and ``min_value_at_risk``.

    Returns:
        ``(items, not_shown)``: the items to brief (each may carry ``also`` keys of the
        same deal's other fresh alerts, told with it), and how many deals were left out.
    """
    cfg = settings or AlertSettings()
    fresh = [a for a in alerts
             if (a.deal_id, a.key) not in said and a.value_at_risk >= cfg.min_value_at_risk]  # fmt: skip
    fresh.sort(key=lambda a: (-a.priority, a.deal_id, a.kind))
    by_deal: dict[str, Alert] = {}
    for a in fresh:
        top = by_deal.get(a.deal_id)
        if top is None:
            by_deal[a.deal_id] = a
        else:
            top.also.append(a.key)
            top.context += f" Also: {a.context}"
    items = list(by_deal.values())
    return items[: cfg.max_items], max(len(items) - cfg.max_items, 0)
