"""The scoring entry point for the rest of Keel: score cards for tools, scores for the cascade.

:class:`KeelScorer` is constructed once at the edge (CLI, worker, app) and passed in. It
gives tools complete score cards (template explanations; ``agent.explanations`` rewrites
them with the LLM) and the cascade its scores through ``agent.cascade_scoring``, which
scores in the worker's read step and calls :meth:`KeelScorer.record` in its write
transaction (a scorer that recorded inside ``score`` would write into a session the
worker never commits).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from memory.db import utcnow
from memory.scoring_store import ScoringModelVersion
from scoring.cards import ScoreCard
from scoring.composite import ServedModel
from scoring.feature_pool import FeaturePool
from scoring.features import build_features
from scoring.history import record_scores, snapshot_closed_deals
from scoring.model import WinModel
from scoring.registry import load_prior, served_model
from scoring.settings import ScoringSettings


class KeelScorer:
    """Scores deals with each org's current model (cached until a new one is promoted).

    Args:
        settings: Scoring settings.
        prior: The prior model; default loads the one shipped in ``scoring/priors/``.
        record: Write a score history row for every deal scored through :meth:`score`
            (only for callers that commit the session they pass; the cascade does not).
        org_id: Org whose version :attr:`model_version` reports (the cascade's
            fingerprint); defaults to the last org scored.
        pool: A feature pool on the same database: whole open pipelines of big orgs are
            then built in two processes (see :mod:`scoring.feature_pool`).
    """

    def __init__(
        self,
        *,
        settings: ScoringSettings | None = None,
        prior: WinModel | None = None,
        record: bool = True,
        org_id: str | None = None,
        pool: FeaturePool | None = None,
    ) -> None:
        self.settings = settings or ScoringSettings()
        self.pool = pool
        self.prior = prior if prior is not None else load_prior()
        self.record = record
        self._org = org_id
        self._served: dict[str, ServedModel] = {}

    def _promoted_version(self, session: Session, org_id: str) -> str | None:
        return session.scalar(
            select(ScoringModelVersion.version).where(  # type: ignore[call-overload]
                ScoringModelVersion.org_id == org_id, ScoringModelVersion.status == "promoted"
            )
        )

    def served(self, session: Session, *, org_id: str) -> ServedModel:
        """The org's current model (reloaded only when the promoted version changed).

        Raises:
            scoring.registry.NoModelError: no promoted model and no prior.
        """
        promoted = self._promoted_version(session, org_id)
        cached = self._served.get(org_id)
        expected = promoted or (self.prior.version if self.prior else None)
        if cached is None or cached.version != expected:
            cached = served_model(session, org_id=org_id, prior=self.prior, settings=self.settings)
            self._served[org_id] = cached
        self._org = org_id
        return cached

    @property
    def model_version(self) -> str:
        """Version of the model last used (or the prior's before any scoring)."""
        if self._org is not None and self._org in self._served:
            return self._served[self._org].version
        return self.prior.version if self.prior is not None else "none"

    def version_for(self, session: Session, *, org_id: str) -> str:
        """Version of the model that scores ``org_id`` now."""
        return self.served(session, org_id=org_id).version

    def cards(
        self,
        session: Session,
        *,
        org_id: str,
        as_of: datetime | None = None,
        deal_ids: Sequence[str] | None = None,
    ) -> list[ScoreCard]:
        """Score cards of open deals as Keel knew them at ``as_of`` (default: now).

        Args:
            session: Open session.
            org_id: The org; no other org's data is read.
            as_of: Instant to score at (features known at that instant only).
            deal_ids: Deals to score (default: the whole open pipeline); closed ones are
                left out.
        """
        as_of = as_of or utcnow()
        model = self.served(session, org_id=org_id)
        rows = build_features(
            session,
            org_id=org_id,
            as_of=as_of,
            deal_ids=deal_ids,
            settings=self.settings,
            pool=self.pool,
        )
        return model.score_cards(rows, recent_days=self.settings.recent_days)

    def score(
        self, session: Session, *, org_id: str, deal_ids: Sequence[str], as_of: datetime
    ) -> dict[str, ScoreCard]:
        """Cards of the open deals among ``deal_ids`` (closed ones left out), by deal id."""
        cards = self.cards(session, org_id=org_id, as_of=as_of, deal_ids=deal_ids)
        if self.record:
            self.record_cards(session, org_id=org_id, cards=cards)
        return {c.deal_id: c for c in cards}

    def record_cards(self, session: Session, *, org_id: str, cards: Sequence[ScoreCard]) -> int:
        """Append a score history row per card to ``session``; returns how many.

        Args:
            session: A session the caller commits (the cascade's write transaction).
            org_id: The org the cards belong to.
            cards: Cards from :meth:`cards` or :meth:`score`.
        """
        return record_scores(session, org_id=org_id, cards=cards, settings=self.settings)

    def write_snapshots(self, session: Session, *, org_id: str, deal_ids: Sequence[str]) -> None:
        """Cascade hook for freshly closed deals: freeze them into the training set."""
        snapshot_closed_deals(session, org_id=org_id, deal_ids=deal_ids, settings=self.settings)
