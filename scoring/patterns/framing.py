"""Which value framing a seller used in a deal: cost savings, speed or features.

A transparent keyword tally over the deal's seller-side text (calls, meetings and outbound
emails). It is deliberately simple: a framing is only assigned when one theme clearly
dominates, otherwise the deal's framing is unknown and it is left out of framing tests.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from memory.models import Activity

FRAMINGS = ("cost_savings", "speed", "features")
_LEXICON = {
    "cost_savings": re.compile(
        r"\b(savings?|save[sd]?|saving|cost per|cost reduction|fuel|overtime|money|"
        r"pay(?:s)? for|spend(?:ing)?|cheaper over|total cost)\b",
        re.I,
    ),
    "speed": re.compile(
        r"\b(speed|fast|faster|quick(?:ly)?|minutes|seconds|instantly|time to value|"
        r"live in|day one|rollout)\b",
        re.I,
    ),
    "features": re.compile(
        r"\b(features?|functionality|feature set|re-routing|driver app|constraint engine|"
        r"live map|proof of delivery|live eta|load planning)\b",
        re.I,
    ),
}
MIN_MARGIN = 2
"""A framing must lead the runner-up by this many mentions to count."""


def framing_of(texts: Iterable[str]) -> str | None:
    """The dominant framing of some seller text, or ``None`` when no theme clearly leads."""
    counts: Counter[str] = Counter()
    for text in texts:
        for name, pattern in _LEXICON.items():
            counts[name] += len(pattern.findall(text))
    ranked = counts.most_common()
    if not ranked or ranked[0][1] == 0:
        return None
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return ranked[0][0] if ranked[0][1] - runner_up >= MIN_MARGIN else None


def load_framings(
    session: Session, *, org_id: str, deal_ids: Sequence[str], until: float | None = None
) -> dict[str, str | None]:
    """Framing of each deal from its calls, meetings and outbound emails known by ``until``.

    Args:
        session: Open session.
        org_id: The org (no other org's rows are read).
        deal_ids: Deals to classify.
        until: Only activities that occurred and were recorded by this instant (seconds).
    """
    out: dict[str, list[str]] = {d: [] for d in deal_ids}
    ids = sorted(out)
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        query = select(col(Activity.deal_id), col(Activity.body), col(Activity.occurred_at)).where(
            and_(
                col(Activity.org_id) == org_id,
                col(Activity.deal_id).in_(chunk),
                or_(
                    col(Activity.kind).in_(["call", "meeting"]),
                    col(Activity.direction) == "outbound",
                ),
            )
        )
        for deal_id, body, occurred in session.execute(query):
            if until is not None and occurred is not None and occurred.timestamp() > until:
                continue
            out.setdefault(deal_id, []).append(body or "")
    return {d: framing_of(texts) for d, texts in out.items()}
