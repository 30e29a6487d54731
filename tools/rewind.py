"""Rewind and timeline: what changed on a deal since a date, and the pipeline at a past date."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from memory.asof import deals_as_of
from memory.db import session_scope
from memory.timeline import TimelineEntry, deal_timeline
from tools.access import allowed_deal_ids
from tools.context import ToolContext
from tools.dates import DateParseError, describe, resolve_when
from tools.deal_ref import find_deal
from tools.owners import OwnerScope, owner_scope
from tools.results import ToolResult, money

MAX_EVENTS = 12


def _when(ctx: ToolContext, phrase: str, tool: str, default: str) -> datetime | ToolResult:
    try:
        instant = resolve_when(phrase or default, now=ctx.now, timezone=ctx.viewer.timezone)
    except DateParseError as exc:
        return ToolResult(tool, "missing_input", str(exc))
    if instant > ctx.now:
        return ToolResult(
            tool, "missing_input", f"{phrase!r} is in the future; I can only look back."
        )
    return instant


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _event_line(e: TimelineEntry) -> str:
    day = e.at.date().isoformat()
    if e.kind == "field":
        old, new = e.old, e.new
        if e.field == "amount":
            old, new = money(_num(old)), money(_num(new))
        what = f"{e.field}: {old} -> {new}" if e.old is not None else f"{e.field} set to {new}"
        return f"{day} {what}" + (" (correction)" if e.correction else "")
    if e.kind == "activity":
        return f"{day} {e.activity_kind}: {e.summary}"
    return f"{day} deal created"


def deal_changes(ctx: ToolContext, deal: str, since: str) -> ToolResult:
    """What changed on one deal since a date: field changes and activities, oldest first.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        deal: The deal's name or its account's name, as the user said it.
        since: The start, as the user said it ("last Monday", "quarter start", "2026-10-01").
    """
    start = _when(ctx, since, "deal_changes", "last week")
    if isinstance(start, ToolResult):
        return start
    with session_scope(ctx.engine) as session:
        found = find_deal(session, ctx, deal, tool="deal_changes")
        if isinstance(found, ToolResult):
            return found
        events = deal_timeline(
            session, org_id=ctx.viewer.org_id, deal_id=found.deal_id, since=start, until=ctx.now
        )
    label = describe(start, timezone=ctx.viewer.timezone)
    fields = [e for e in events if e.kind == "field" and e.field not in ("name",)]
    activities = [e for e in events if e.kind == "activity"]
    lines = [f"Deal: {found.name}", f"Changes since {label}:"]
    if not events:
        lines.append("Nothing changed and no activity was logged in that period.")
    shown = (fields + activities)[:MAX_EVENTS]
    lines += [_event_line(e) for e in sorted(shown, key=lambda e: e.at)]
    if len(fields) + len(activities) > MAX_EVENTS:
        lines.append(f"... and {len(fields) + len(activities) - MAX_EVENTS} more events")
    lines.append(f"Totals: {len(fields)} field changes, {len(activities)} activities")
    return ToolResult(
        "deal_changes",
        "ok",
        "\n".join(lines),
        data={"since": start.isoformat(), "events": [e.as_dict() for e in events]},
        deal_id=found.deal_id,
        deal_name=found.name,
    )


def _summary(states: list[Any]) -> dict[str, Any]:
    open_deals = [s for s in states if not s.is_closed]
    return {
        "open_count": len(open_deals),
        "open_amount": round(sum(s.amount or 0.0 for s in open_deals), 2),
        "by_stage": dict(Counter(s.stage or "unknown" for s in open_deals)),
        "ids": {s.deal_id for s in open_deals},
    }


def pipeline_snapshot(ctx: ToolContext, when: str, owner: str) -> ToolResult:
    """The open pipeline as it stood at a past date, compared with today.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        when: The date, as the user said it ("quarter start", "last month", "2026-07-01").
        owner: Whose pipeline: empty for the user's own (a manager's whole team), or a rep's name.
    """
    at = _when(ctx, when, "pipeline_snapshot", "quarter start")
    if isinstance(at, ToolResult):
        return at
    with session_scope(ctx.engine) as session:
        scope = owner_scope(session, ctx, owner, tool="pipeline_snapshot")
        if isinstance(scope, ToolResult):
            return scope
        allowed = allowed_deal_ids(session, ctx.viewer, as_of=ctx.now) | allowed_deal_ids(
            session, ctx.viewer, as_of=at
        )
        then = _scoped(
            deals_as_of(session, org_id=ctx.viewer.org_id, as_of=at, deal_ids=allowed), scope
        )
        now = _scoped(
            deals_as_of(session, org_id=ctx.viewer.org_id, as_of=ctx.now, deal_ids=allowed), scope
        )
    a, b = _summary(then), _summary(now)
    closed_now = {s.deal_id: s for s in now if s.is_closed}
    won = [closed_now[i] for i in a["ids"] if i in closed_now and closed_now[i].is_won]
    lost = [closed_now[i] for i in a["ids"] if i in closed_now and not closed_now[i].is_won]
    added = b["ids"] - a["ids"]
    label = describe(at, timezone=ctx.viewer.timezone)
    lines = [
        f"{scope.label.capitalize()} open pipeline on {label}: {a['open_count']} deals, {money(a['open_amount'])}",
        "By stage then: " + ", ".join(f"{k} {v}" for k, v in sorted(a["by_stage"].items())),
        f"Today: {b['open_count']} deals, {money(b['open_amount'])}",
        f"Since then: {len(won)} won ({money(sum(s.amount or 0 for s in won))}), "
        f"{len(lost)} lost ({money(sum(s.amount or 0 for s in lost))}), {len(added)} new open deals",
    ]
    return ToolResult(
        "pipeline_snapshot",
        "ok",
        "\n".join(lines),
        data={
            "at": at.isoformat(),
            "then": {k: v for k, v in a.items() if k != "ids"},
            "now": {k: v for k, v in b.items() if k != "ids"},
            "won": [s.name for s in won],
            "lost": [s.name for s in lost],
        },
    )


def _scoped(states: list[Any], scope: OwnerScope) -> list[Any]:
    if scope.owner_ids is None:
        return states
    return [s for s in states if s.owner_id in scope.owner_ids]
