"""Training data: lifecycle snapshots of closed deals, labelled with the outcome, split by time.

Each closed deal gives one example per moment of its life (fractions of the way from
creation to close), each computed as Keel knew the deal at that moment. Deals are
ordered by when Keel learned of their close; the latest ones are held out, so models
are always tested on deals that closed after everything they were trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlmodel import Session

from scoring.events import deal_created, load_org, to_datetime
from scoring.features import FeatureRow, build_features_at
from scoring.model import Dataset
from scoring.settings import ScoringSettings


@dataclass(frozen=True)
class ClosedDeal:
    """A deal that closed, as known at training time."""

    deal_id: str
    created_at: datetime
    closed_at: datetime
    known_at: datetime
    won: bool


@dataclass
class TrainingSet:
    """Snapshots of closed deals with labels, in close-known order of their deals."""

    deals: list[ClosedDeal]
    features: list[FeatureRow]
    y: np.ndarray
    w: np.ndarray

    def dataset(self, deal_ids: set[str] | None = None) -> Dataset:
        """The snapshots of ``deal_ids`` (default all) as a model :class:`Dataset`."""
        idx = [i for i, f in enumerate(self.features) if deal_ids is None or f.deal_id in deal_ids]
        return Dataset([self.features[i].values for i in idx], self.y[idx], self.w[idx])

    def subset(self, deals: Sequence[ClosedDeal]) -> TrainingSet:
        """A training set of some of the deals."""
        ids = {d.deal_id for d in deals}
        idx = [i for i, f in enumerate(self.features) if f.deal_id in ids]
        return TrainingSet(list(deals), [self.features[i] for i in idx], self.y[idx], self.w[idx])

    @property
    def n_won(self) -> int:
        """Won deals in the set."""
        return sum(d.won for d in self.deals)

    @property
    def n_lost(self) -> int:
        """Lost deals in the set."""
        return sum(not d.won for d in self.deals)


def closed_deals(session: Session, *, org_id: str, as_of: datetime) -> list[ClosedDeal]:
    """Deals whose close Keel knew by ``as_of``, ordered by when it learned of it."""
    t = as_of.timestamp()
    org = load_org(session, org_id=org_id, until=t)
    closes = [c for c in org.closes if c.at <= t and c.known <= t]
    created = deal_created(session, org_id=org_id)
    out = [
        ClosedDeal(
            deal_id=c.deal_id,
            created_at=to_datetime(created[c.deal_id]),
            closed_at=to_datetime(c.at),
            known_at=to_datetime(c.known),
            won=c.won,
        )
        for c in closes
        if c.deal_id in created and c.at > created[c.deal_id]
    ]
    out.sort(key=lambda d: (d.known_at, d.deal_id))
    return out


def snapshot_instants(deal: ClosedDeal, fractions: Sequence[float]) -> list[datetime]:
    """Moments of the deal's life at which it is snapshotted (strictly before its close)."""
    life = deal.closed_at - deal.created_at
    return [deal.created_at + life * f for f in fractions if 0.0 <= f < 1.0]


def build_training_set(
    session: Session,
    *,
    org_id: str,
    deals: Sequence[ClosedDeal],
    settings: ScoringSettings | None = None,
) -> TrainingSet:
    """Point-in-time features of every deal at each of its snapshot moments, labelled.

    Each deal's snapshots are weighted so that the deal counts once in total.
    """
    settings = settings or ScoringSettings()
    instants = {d.deal_id: snapshot_instants(d, settings.snapshot_fractions) for d in deals}
    rows = build_features_at(session, org_id=org_id, instants=instants, settings=settings)
    won = {d.deal_id: d.won for d in deals}
    per_deal: dict[str, int] = {}
    for r in rows:
        per_deal[r.deal_id] = per_deal.get(r.deal_id, 0) + 1
    mean = len(rows) / max(len(per_deal), 1)
    y = np.array([1.0 if won[r.deal_id] else 0.0 for r in rows])
    w = np.array([mean / per_deal[r.deal_id] for r in rows])
    return TrainingSet(list(deals), rows, y, w)


def time_split(
    deals: Sequence[ClosedDeal], share: float
) -> tuple[list[ClosedDeal], list[ClosedDeal]]:
    """Split deals (in close-known order) into the earlier ``1 - share`` and the later ``share``."""
    ordered = sorted(deals, key=lambda d: (d.known_at, d.deal_id))
    cut = len(ordered) - max(int(round(len(ordered) * share)), 1)
    return ordered[: max(cut, 0)], ordered[max(cut, 0) :]
