"""Score and reasons: a deal's win probability, confidence and the eight dimensions.

Scores are read from the scoring layer's stored history (``memory.scoring_store``); the tool
never invents one. When no score exists yet it says so and returns the deal's field history,
so the chat can still chart how the deal moved. The card also lists the significant
cross-deal patterns the deal carries ("Matches pattern: ...", ``tools.patterns``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from memory.asof import field_history
from memory.db import session_scope
from tools.context import ScoreSource, ToolContext
from tools.deal_ref import find_deal
from tools.patterns import deal_patterns_for, pattern_line
from tools.results import ToolResult, pct


class StoredScores:
    """Score source reading ``DealScoreHistory`` rows written by the scoring cascade."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _rows(self, org_id: str, deal_id: str, as_of: datetime) -> list[Any]:
        try:
            from memory.scoring_store import DealScoreHistory
        except ImportError:  # pragma: no cover - the module ships with memory
            return []
        try:
            with session_scope(self._engine) as session:
                query = (
                    select(DealScoreHistory)
                    .where(DealScoreHistory.org_id == org_id)  # type: ignore[arg-type]
                    .where(DealScoreHistory.deal_id == deal_id)  # type: ignore[arg-type]
                    .where(DealScoreHistory.as_of <= as_of)  # type: ignore[arg-type]
                    .order_by(DealScoreHistory.as_of, DealScoreHistory.computed_at)  # type: ignore[arg-type]
                )
                return list(session.execute(query).scalars())
        except SQLAlchemyError:  # the scoring tables are not created in this store yet
            return []

    def latest(self, org_id: str, deal_id: str, *, as_of: datetime) -> dict[str, Any] | None:
        """Return the newest stored score card up to ``as_of``, or ``None``."""
        rows = self._rows(org_id, deal_id, as_of)
        if not rows:
            return None
        row = rows[-1]
        return {
            "deal_id": deal_id,
            "as_of": row.as_of.isoformat(),
            "win_probability": float(row.win_probability),
            "confidence": float(row.confidence),
            "dimensions": list(row.dimensions or []),
            "model_version": row.model_version,
        }

    def many(
        self, org_id: str, deal_ids: Sequence[str], *, as_of: datetime
    ) -> dict[str, dict[str, Any]]:
        """Return the newest stored card of each deal that has one."""
        cards = {d: self.latest(org_id, d, as_of=as_of) for d in deal_ids}
        return {d: c for d, c in cards.items() if c is not None}

    def history(
        self, org_id: str, deal_id: str, *, as_of: datetime
    ) -> Sequence[tuple[datetime, float]]:
        """Return ``(as_of, win_probability)`` pairs in time order (one per ``as_of``)."""
        by_time: dict[datetime, float] = {}
        for row in self._rows(org_id, deal_id, as_of):
            by_time[row.as_of] = float(row.win_probability)
        return sorted(by_time.items())


def score_source(ctx: ToolContext) -> ScoreSource:
    """The configured score source, or the stored score history."""
    return ctx.scores or StoredScores(ctx.engine)


def _dimension_lines(dimensions: list[dict[str, Any]]) -> list[str]:
    lines = []
    for d in dimensions:
        drivers = d.get("drivers") or []
        driver_text = "; ".join(
            str(x.get("text", x)) if isinstance(x, dict) else str(x) for x in drivers[:3]
        )
        line = f"- {d.get('name')}: {float(d.get('score', 0)):.0f}/100 (confidence {pct(d.get('confidence'))})"
        if d.get("explanation"):
            line += f": {d['explanation']}"
        elif driver_text:
            line += f": {driver_text}"
        lines.append(line)
    return lines


def field_series(session: Session, ctx: ToolContext, deal_id: str) -> dict[str, list[list[Any]]]:
    """Return stage, amount and close-date history as ``{field: [[iso_time, value], ...]}``."""
    history = field_history(session, org_id=ctx.viewer.org_id, deal_id=deal_id, as_of=ctx.now)
    return {
        name: [[at.isoformat(), value] for at, value in history.get(name, [])]
        for name in ("stage", "amount", "close_date")
    }


def deal_score(ctx: ToolContext, deal: str) -> ToolResult:
    """Win probability of one deal with its eight scoring dimensions, confidence and reasons.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        deal: The deal's name or its account's name, as the user said it.
    """
    with session_scope(ctx.engine) as session:
        found = find_deal(session, ctx, deal, tool="deal_score")
        if isinstance(found, ToolResult):
            return found
        series = field_series(session, ctx, found.deal_id)
    source = score_source(ctx)
    card = source.latest(ctx.viewer.org_id, found.deal_id, as_of=ctx.now)
    points = source.history(ctx.viewer.org_id, found.deal_id, as_of=ctx.now)
    history = [(at.isoformat(), p) for at, p in points]
    if card is not None and (not history or history[-1][0][:10] != str(card["as_of"])[:10]):
        history.append((str(card["as_of"]), float(card["win_probability"])))
    patterns = deal_patterns_for(ctx, found.deal_id)
    data: dict[str, Any] = {
        "deal": found.name,
        "fields": series,
        "history": history,
        "patterns": patterns,
    }
    pattern_lines = [pattern_line(p) for p in patterns]
    if card is None:
        stages = series.get("stage") or []
        stage = str(stages[-1][1]) if stages else None
        why = (
            f"it is closed ({stage}) and Keel scores open deals only"
            if stage in ("closed_won", "closed_lost")
            else "Keel's scoring has not run on it in this installation"
        )
        return ToolResult(
            "deal_score",
            "unavailable",
            "\n".join(
                [
                    f"{found.name} has no score: {why}. Its stage, amount and close-date "
                    "history are in the chart.",
                    *pattern_lines,
                ]
            ),
            data=data,
            deal_id=found.deal_id,
            deal_name=found.name,
        )
    data["card"] = card
    lines = [
        f"Deal: {found.name}",
        f"Win probability: {pct(card['win_probability'])} (confidence {pct(card['confidence'])})",
        f"Scored as of {card['as_of'][:10]} by model {card['model_version']}",
        "Dimensions:",
        *_dimension_lines(card["dimensions"]),
    ]
    if len(history) >= 2:
        lines.append(
            f"Win probability {pct(history[0][1])} on {history[0][0][:10]} -> {pct(history[-1][1])} now"
        )
    lines += pattern_lines
    return ToolResult(
        "deal_score", "ok", "\n".join(lines), data=data, deal_id=found.deal_id, deal_name=found.name
    )
