"""Deal lookup: one deal's current state found by a fuzzy name ("the Acme renewal")."""

from __future__ import annotations

from memory.db import session_scope
from tools.context import ToolContext
from tools.deal_facts import load_deal_facts
from tools.deal_ref import find_deal
from tools.results import ToolResult, pct
from tools.scores import StoredScores


def lookup_deal(ctx: ToolContext, deal: str) -> ToolResult:
    """Look up one deal: stage, amount, close date, owner, contacts and latest activity.

    Args:
        ctx: Injected by the caller: who is asking, the store, the clock.
        deal: The deal's name or its account's name, as the user said it.
    """
    with session_scope(ctx.engine) as session:
        found = find_deal(session, ctx, deal, tool="lookup_deal")
        if isinstance(found, ToolResult):
            return found
        facts = load_deal_facts(session, ctx, found.deal_id)
    if facts is None:
        return ToolResult(
            "lookup_deal",
            "not_found",
            f"{found.name} did not exist yet at {ctx.now.date().isoformat()}.",
        )
    # A status answer reads every line of this on each turn (~7 ms a token on a CPU): the
    # two latest activities and three contacts carry what it needs; drafts get more.
    lines = facts.lines(recent=2, contacts=3)
    # Only a stored score here: computing one live is the score tool's job (and costs more).
    card = StoredScores(ctx.engine).latest(ctx.viewer.org_id, found.deal_id, as_of=ctx.now)
    if card is not None:
        lines.append(
            f"Win probability: {pct(card['win_probability'])} (confidence {pct(card['confidence'])})"
        )
    return ToolResult(
        "lookup_deal",
        "ok",
        "\n".join(lines),
        data={"facts": facts.as_dict(), "score": card},
        deal_id=found.deal_id,
        deal_name=facts.name,
    )
