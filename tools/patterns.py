"""Pattern queries across closed deals, answered from the org's latest pattern-mining run.

Patterns are mined (``keel patterns``, the scheduler) by ``scoring.patterns`` and stored as
versioned runs (``memory.briefing_store``); this tool reads the newest run, keeps the
statistically significant findings, and ranks them by how many words they share with the
question. Findings are aggregates over the whole org (no deal names); findings about
individual reps' behaviour are shown to managers only. With no run stored yet it says so,
and offers what is trivially true of the deals the viewer may see.

It also says which of those patterns one deal carries (:func:`deal_patterns_for`, the
score card, the deal lookup, pipeline review and drafts): the deal's pattern record is
rebuilt as Keel knew it at ``ctx.now`` (``scoring.patterns.deal_record``) and matched
against the org's latest run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from statistics import median
from typing import Any

from sqlalchemy import and_, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from memory.asof import deals_as_of
from memory.briefing_store import PatternVersion, latest_patterns
from memory.db import session_scope
from memory.models import ActivitySignal
from scoring.patterns.deal_record import carried_patterns, load_open_deals, report_from_dict
from tools.access import allowed_deal_ids
from tools.context import ToolContext
from tools.results import ToolResult, money

MAX_FINDINGS = 5
_STOP = {
    "what",
    "which",
    "have",
    "does",
    "with",
    "that",
    "this",
    "deals",
    "deal",
    "common",
    "our",
    "the",
}


def _report_in(session: Session, org_id: str) -> dict[str, Any] | None:
    # Checked, not caught: a failed query would spoil a caller's shared PostgreSQL transaction.
    if not inspect(session.connection()).has_table(PatternVersion.__tablename__):
        return None
    run = latest_patterns(session, org_id=org_id)
    report = dict(run.report) if run is not None else None
    return report if report is not None and report.get("org_id") == org_id else None


def _latest_report(ctx: ToolContext) -> dict[str, Any] | None:
    try:
        with session_scope(ctx.engine) as session:
            return _report_in(session, ctx.viewer.org_id)
    except SQLAlchemyError:  # the patterns tables are not in this store yet
        return None


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) >= 4 and w not in _STOP}


def _ranked(report: dict[str, Any], question: str, *, manager: bool) -> list[dict[str, Any]]:
    findings = [
        f
        for f in report.get("patterns") or []
        if f.get("significant", True) and (manager or f.get("kind") != "rep_behaviour")
    ]
    asked = _words(question)

    def overlap(f: dict[str, Any]) -> int:
        return len(asked & _words(f"{f.get('text', '')} {f.get('key', '')}"))

    relevant = [f for f in findings if overlap(f) > 0]
    chosen = relevant or findings
    return sorted(chosen, key=lambda f: (-overlap(f), float(f.get("q_value", 1.0))))[:MAX_FINDINGS]


def _line(f: dict[str, Any]) -> str:
    return (
        f"- {f.get('text', f.get('key'))} ({float(f.get('rate_pattern', 0)):.0%} vs "
        f"{float(f.get('rate_rest', 0)):.0%}, {f.get('n_pattern', '?')} deals, q={float(f.get('q_value', 1)):.3f})"
    )


def _basic_stats(ctx: ToolContext) -> str:
    with session_scope(ctx.engine) as session:
        allowed = allowed_deal_ids(session, ctx.viewer, as_of=ctx.now)
        closed = [
            s
            for s in deals_as_of(session, org_id=ctx.viewer.org_id, as_of=ctx.now, deal_ids=allowed)
            if s.is_closed
        ]
    if not closed:
        return ""
    won = [s for s in closed if s.is_won]
    cycle = [(s.close_date - s.created_at.date()).days for s in won if s.close_date is not None]
    return (
        f" What I can say from the {len(closed)} closed deals you can see: {len(won)} won, "
        f"{len(closed) - len(won)} lost (win rate {len(won) / len(closed):.0%})"
        + (f"; median won deal {money(median([s.amount or 0 for s in won]))}" if won else "")
        + (f", median sales cycle {median(cycle):.0f} days." if cycle else ".")
    )


def find_patterns(ctx: ToolContext, question: str) -> ToolResult:
    """Patterns across won and lost deals ("what do our won deals against RouteSmart share").

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        question: The pattern question, as the user asked it.
    """
    report = _latest_report(ctx)
    if report is None:
        text = (
            "No cross-deal pattern analysis has been run for your org yet (`keel patterns` "
            f'computes it), so I can\'t answer "{question.strip()[:200]}" directly.'
            + _basic_stats(ctx)
        )
        return ToolResult("find_patterns", "unavailable", text)
    chosen = _ranked(report, question, manager=ctx.viewer.role in ("manager", "admin"))
    head = (
        f"Patterns from {report.get('closed_deals', '?')} closed deals (analysis {report.get('version', '?')}, "
        f"as of {str(report.get('as_of', ''))[:10]}; org win rate {float(report.get('win_rate', 0)):.0%}):"
    )
    if not chosen:
        return ToolResult(
            "find_patterns", "ok", head + "\nNo statistically significant pattern was found."
        )
    return ToolResult(
        "find_patterns",
        "ok",
        "\n".join([head, *(_line(f) for f in chosen)]),
        data={"patterns": chosen},
    )


def _deal_competitors(ctx: ToolContext, deal_id: str) -> set[str]:
    from scoring.signals import names_of

    sig = ActivitySignal.__table__  # type: ignore[attr-defined]
    with session_scope(ctx.engine) as session:
        rows = session.execute(
            select(sig.c.payload).where(
                and_(
                    sig.c.deal_id == deal_id,
                    sig.c.org_id == ctx.viewer.org_id,
                    sig.c.valid_from <= ctx.now,
                )
            )
        ).all()
    return {
        str(n).lower() for (payload,) in rows for n in names_of((payload or {}).get("competitors"))
    }


def framing_patterns_for(ctx: ToolContext, deal_id: str, *, limit: int = 2) -> list[dict[str, Any]]:
    """Significant winning framings that apply to a deal (for drafts), strongest first.

    A finding applies when it is about a framing and any competitor it names is in the deal.
    """
    report = _latest_report(ctx)
    if report is None:
        return []
    competitors = _deal_competitors(ctx, deal_id)
    chosen = []
    for f in report.get("patterns") or []:
        factors = [tuple(x) for x in f.get("factors") or []]
        if not f.get("significant", True) or not any(name == "framing" for name, _ in factors):
            continue
        if float(f.get("rate_pattern", 0)) <= float(f.get("rate_rest", 0)):
            continue
        named = [
            name.split(":", 1)[1].lower()
            for name, level in factors
            if name.startswith("competitor:") and level == "yes"
        ]
        if all(n in competitors for n in named):
            chosen.append(f)
    return sorted(chosen, key=lambda f: float(f.get("q_value", 1.0)))[:limit]


@dataclass(frozen=True)
class DealPatterns:
    """The significant patterns one open deal carries, and who on the buyer side engaged.

    Attributes:
        patterns: Stored findings (``find_patterns`` form) with ``relation`` (``"stall"``,
            ``"has"`` or ``"lacks"``) and ``multithreading`` (the remedy is involving
            another buyer-side stakeholder), stall predictors first.
        engaged_buyers: Buyer-side people present in buyer activity so far.
    """

    patterns: list[dict[str, Any]]
    engaged_buyers: tuple[str, ...]

    @property
    def multithread(self) -> dict[str, Any] | None:
        """The pattern that calls for multi-threading, if the deal is single-threaded."""
        if len(self.engaged_buyers) > 1:
            return None
        named = [p for p in self.patterns if p["multithreading"]]
        stalls = [p for p in self.patterns if p["relation"] == "stall"]
        chosen = named or stalls
        return chosen[0] if chosen else None


def match_open_deals(
    session: Session, ctx: ToolContext, deal_ids: Sequence[str], *, stall_only: bool = False
) -> dict[str, DealPatterns]:
    """Patterns each open deal carries as of ``ctx.now``, from the org's latest run.

    Args:
        session: Open session (only read).
        ctx: Who is asking and the clock; only the viewer's org is read.
        deal_ids: Deals already access-checked by the caller.
        stall_only: Skip loading deal records unless the run has a stall predictor.
    """
    report = _report_in(session, ctx.viewer.org_id)
    if report is None or not deal_ids:
        return {}
    significant = [p for p in report.get("patterns") or [] if p.get("significant", True)]
    wanted = {"stall"} if stall_only else {"stall", "win_rate", "combination", "competitor"}
    if not any(p.get("kind") in wanted for p in significant):
        return {}
    stored = {str(p.get("key")): p for p in significant}
    parsed = report_from_dict(report)
    out = {}
    now = ctx.now if ctx.now.tzinfo is not None else ctx.now.replace(tzinfo=UTC)
    deals = load_open_deals(session, org_id=ctx.viewer.org_id, deal_ids=deal_ids, as_of=now)
    for deal_id, deal in deals.items():
        found = [
            dict(stored[c.finding.key], relation=c.relation, multithreading=c.multithreading)
            for c in carried_patterns(deal, parsed)
            if c.finding.key in stored
        ]
        out[deal_id] = DealPatterns(found, deal.engaged_buyers)
    return out


def deal_patterns_for(ctx: ToolContext, deal_id: str) -> list[dict[str, Any]]:
    """Significant cross-deal patterns an (access-checked) open deal carries now.

    Stall predictors it matches come first, then win/loss signals it shows, then winning
    signals it lacks; each stored finding gains ``relation`` and ``multithreading``.
    """
    with session_scope(ctx.engine) as session:
        found = match_open_deals(session, ctx, [deal_id]).get(deal_id)
    return found.patterns if found else []


def pattern_line(p: dict[str, Any]) -> str:
    """One line for people: "Matches pattern: ... (40% vs 12%, 55 deals)"."""
    head = "Lacks a winning pattern" if p.get("relation") == "lacks" else "Matches pattern"
    return (
        f"{head}: {str(p.get('text', p.get('key'))).rstrip('. ')} ({float(p.get('rate_pattern', 0)):.0%} vs "
        f"{float(p.get('rate_rest', 0)):.0%}, {p.get('n_pattern', '?')} deals)"
    )
