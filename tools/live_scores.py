"""Score cards computed on demand by the scoring layer, with stored history for the chart.

Open deals are scored live as of the asked instant (the scorer reads only what Keel knew
then); a closed deal, or any deal the scorer cannot score, falls back to its newest stored
card. The scorer is constructed at the edge (``scoring.service.KeelScorer``) and passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from memory.db import session_scope
from tools.scores import StoredScores


class CardLike(Protocol):
    """What the tools read from a score card."""

    def as_dict(self) -> dict[str, Any]:
        """The public JSON form."""
        ...


class Scorer(Protocol):
    """The part of ``scoring.service.KeelScorer`` the tools use."""

    def cards(
        self,
        session: Session,
        *,
        org_id: str,
        as_of: datetime | None = None,
        deal_ids: Sequence[str] | None = None,
    ) -> Sequence[CardLike]:
        """Score cards of the open deals among ``deal_ids`` as of ``as_of``."""
        ...


class LiveScores:
    """Score source scoring open deals on demand, falling back to stored cards."""

    def __init__(self, engine: Engine, scorer: Scorer) -> None:
        self._engine = engine
        self._scorer = scorer
        self._stored = StoredScores(engine)

    def many(
        self, org_id: str, deal_ids: Sequence[str], *, as_of: datetime
    ) -> dict[str, dict[str, Any]]:
        """Return cards of the deals (live for open ones, stored for the rest)."""
        if not deal_ids:
            return {}
        with session_scope(self._engine) as session:
            cards = self._scorer.cards(session, org_id=org_id, as_of=as_of, deal_ids=list(deal_ids))
        out = {c["deal_id"]: c | {"as_of": as_of.isoformat()} for c in (x.as_dict() for x in cards)}
        for deal_id in deal_ids:
            if deal_id not in out:
                stored = self._stored.latest(org_id, deal_id, as_of=as_of)
                if stored is not None:
                    out[deal_id] = stored
        return out

    def latest(self, org_id: str, deal_id: str, *, as_of: datetime) -> dict[str, Any] | None:
        """Return the deal's card as of ``as_of``, or ``None``."""
        return self.many(org_id, [deal_id], as_of=as_of).get(deal_id)

    def history(
        self, org_id: str, deal_id: str, *, as_of: datetime
    ) -> Sequence[tuple[datetime, float]]:
        """Return the stored win-probability history up to ``as_of``."""
        return self._stored.history(org_id, deal_id, as_of=as_of)
