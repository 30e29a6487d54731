"""Resolve the deal a tool was asked about, and say plainly when that is not possible."""

from __future__ import annotations

from sqlmodel import Session

from memory.asof import deal_as_of
from memory.lookup import DealMatch
from tools.access import allowed_deal_ids, resolve_deal
from tools.context import ToolContext
from tools.results import ToolResult, money

MAX_REFERENCE_CHARS = 200


def describe_candidates(
    session: Session, ctx: ToolContext, matches: list[DealMatch]
) -> list[dict[str, object]]:
    """Return the candidates of an ambiguous reference with what tells them apart."""
    out: list[dict[str, object]] = []
    for m in matches:
        state = deal_as_of(session, org_id=ctx.viewer.org_id, deal_id=m.deal_id, as_of=ctx.now)
        fields = state.fields if state else {}
        out.append(
            {
                "deal_id": m.deal_id,
                "name": m.name,
                "account": m.account_name,
                "stage": fields.get("stage"),
                "amount": fields.get("amount"),
                "close_date": fields.get("close_date"),
            }
        )
    return out


def find_deal(
    session: Session, ctx: ToolContext, reference: str, *, tool: str
) -> DealMatch | ToolResult:
    """Return the one allowed deal ``reference`` means, or a result explaining why not.

    The explanation never reveals whether a deal outside the viewer's access exists.
    """
    reference = " ".join(reference.split())[:MAX_REFERENCE_CHARS]
    if not reference:
        return ToolResult(
            tool,
            "missing_input",
            "Which deal do you mean? Give me its name or its account's name.",
        )
    allowed = allowed_deal_ids(session, ctx.viewer, as_of=ctx.now)
    resolution = resolve_deal(session, ctx.viewer, reference, allowed=allowed)
    if resolution.match is not None:
        return resolution.match
    if not resolution.candidates:
        near = resolution.nearest
        hint = (
            f"The closest of your deals is {near.name}, but it does not match "
            f'"{", ".join(near.unmatched)}"; name it if that is the one you mean.'
            if near is not None
            else "Check the name, or ask me to review your pipeline to see your deals."
        )
        return ToolResult(
            tool,
            "not_found",
            f'I can\'t find a deal matching "{reference}" among the deals you can see. {hint}',
            data={"query": reference} | ({"nearest": near.name} if near is not None else {}),
        )
    candidates = describe_candidates(session, ctx, resolution.candidates)
    lines = [f'Several of your deals match "{reference}". Which one do you mean?']
    for i, c in enumerate(candidates, 1):
        amount = c["amount"] if isinstance(c["amount"], int | float) else None
        lines.append(
            f"{i}. {c['name']} (stage {c['stage'] or 'unknown'}, {money(amount)}, "
            f"close {c['close_date'] or 'unknown'})"
        )
    return ToolResult(
        tool, "ambiguous", "\n".join(lines), data={"query": reference}, candidates=candidates
    )
