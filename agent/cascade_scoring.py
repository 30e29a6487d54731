"""Deal scoring plugged into the cascade's deal level.

The deal handler (``agent.cascade.handlers``) asks :meth:`CascadeScorer.version_for`
which model scores the org (it goes into each deal's fingerprint), scores the claimed
open deals in its read step and hands the scores to :meth:`CascadeScorer.record` in its
write transaction, so a score history row is committed with every deal roll-up it
explains. An org no model can serve is weighted by stage instead of failing its keys.
Plug it in with one line where the worker's context is built::

    ctx = with_scoring(CascadeContext(engine=engine))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.context import CascadeContext, DealScore
from memory.db import session_scope
from memory.scoring_store import ScoringModelVersion, create_scoring_tables
from scoring.cards import ScoreCard
from scoring.registry import NoModelError
from scoring.service import KeelScorer

CARD = "card"
"""Key of the full score card in :attr:`DealScore.details` (what :meth:`record` writes)."""


class CascadeScorer:
    """Adapts :class:`scoring.service.KeelScorer` to the cascade's ``DealScorer`` shape.

    ``KeelScorer`` answers with score cards; the roll-ups want
    :class:`~agent.cascade.context.DealScore` (confidence and the card go in ``details``).

    Args:
        scorer: The scorer; it must not record inside ``score`` (``record=False``).
    """

    def __init__(self, scorer: KeelScorer) -> None:
        if scorer.record:
            raise ValueError("the cascade records scores itself: pass KeelScorer(record=False)")
        self.scorer = scorer

    @property
    def model_version(self) -> str:
        """Version of the model last used (the deal handler asks :meth:`version_for`)."""
        return self.scorer.model_version

    def version_for(self, session: Session, *, org_id: str) -> str | None:
        """Version of the model scoring ``org_id`` now; ``None`` if no model can serve it."""
        try:
            return self.scorer.version_for(session, org_id=org_id)
        except NoModelError:
            return None

    def score(
        self, session: Session, *, org_id: str, deal_ids: Sequence[str], as_of: datetime
    ) -> dict[str, DealScore]:
        """Score the open deals among ``deal_ids`` (none for an org without a model)."""
        try:
            cards = self.scorer.score(session, org_id=org_id, deal_ids=deal_ids, as_of=as_of)
        except NoModelError:
            return {}
        return {
            deal_id: DealScore(
                c.win_probability, c.model_version, {"confidence": c.confidence, CARD: c}
            )
            for deal_id, c in cards.items()
        }

    def record(self, session: Session, *, org_id: str, scores: Mapping[str, DealScore]) -> None:
        """Write a score history row per score (the cascade's ``ScoreRecorder``)."""
        cards = [
            s.details[CARD] for s in scores.values() if isinstance(s.details.get(CARD), ScoreCard)
        ]
        self.scorer.record_cards(session, org_id=org_id, cards=cards)


def any_model(engine: Engine, scorer: KeelScorer) -> bool:
    """True when some org can be scored: a prior ships, or an org has a promoted model."""
    if scorer.prior is not None:
        return True
    create_scoring_tables(engine)
    with session_scope(engine) as session:
        found = session.scalars(
            select(ScoringModelVersion.version).where(  # type: ignore[call-overload]
                ScoringModelVersion.status == "promoted"
            )
        ).first()
    return found is not None


def cascade_scorer(engine: Engine, scorer: KeelScorer | None = None) -> CascadeScorer | None:
    """The cascade's scorer, or ``None`` when no model can serve any org (stage weights).

    Each org is scored with its own current model (promoted, else the prior); an org with
    neither is weighted by stage. A worker that got ``None`` keeps weighting by stage
    until it is restarted after the first ``keel train``.

    Args:
        engine: The store (scoring tables are created if missing).
        scorer: The scorer to adapt (default: ``KeelScorer(record=False)`` from settings).
    """
    scorer = scorer or KeelScorer(record=False)
    return CascadeScorer(scorer) if any_model(engine, scorer) else None


def with_scoring(ctx: CascadeContext, scorer: KeelScorer | None = None) -> CascadeContext:
    """Return ``ctx`` scoring deals with each org's current model and recording the scores.

    Args:
        ctx: The worker's context (its engine is checked for a usable model).
        scorer: The scorer to adapt (default: from settings, with the shipped prior).
    """
    adapter = cascade_scorer(ctx.engine, scorer)
    if adapter is None:
        return ctx
    return dataclasses.replace(ctx, scorer=adapter, score_recorder=adapter.record)
