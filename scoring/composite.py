"""The served composite: the prior and the org's model blended, and the score cards it makes.

Blending happens in calibrated log-odds, feature by feature, so the blended probability's
log-odds is still exactly the base plus the sum of the (blended) contributions, and the
eight dimension scores stay consistent with the composite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memory.collector import collector_paused
from scoring.cards import ScoreCard, make_cards
from scoring.confidence import ErrorModel
from scoring.features import FeatureRow
from scoring.model import Explanation, WinModel


def blend(org: Explanation, prior: Explanation, weight: float) -> Explanation:
    """``weight * org + (1 - weight) * prior``, feature by feature, in log-odds."""
    columns = list(dict.fromkeys(org.columns + prior.columns))
    index = {c: i for i, c in enumerate(columns)}
    n = len(org.base)
    contrib = np.zeros((n, len(columns)))
    values = np.full((n, len(columns)), np.nan, dtype=np.float32)
    dims = [""] * len(columns)
    for part, w in ((prior, 1.0 - weight), (org, weight)):
        cols = [index[c] for c in part.columns]
        contrib[:, cols] += w * part.contrib
        values[:, cols] = part.values
        for c, d in zip(cols, part.dims, strict=True):
            dims[c] = d
    return Explanation(
        columns=columns,
        dims=dims,
        contrib=contrib,
        base=weight * org.base + (1.0 - weight) * prior.base,
        familiarity=weight * org.familiarity + (1.0 - weight) * prior.familiarity,
        values=values,
    )


@dataclass
class ServedModel:
    """What scores deals: an org model, a prior, or a blend of the two.

    Attributes:
        version: The registry version in use.
        org: The org's own model (``None`` below the minimum of closed deals).
        prior: The prior trained on the simulated org.
        weight: Weight of ``org`` in the blend (1.0 = org model only).
        exact: TreeSHAP contributions instead of fast path attributions.
    """

    version: str
    org: WinModel | None = None
    prior: WinModel | None = None
    weight: float = 1.0
    exact: bool = False

    def explain(self, rows: list[dict[str, Any]]) -> Explanation:
        """The blended calibrated explanation of feature rows."""
        if self.org is not None and (self.prior is None or self.weight >= 1.0):
            return self.org.explain(rows, exact=self.exact)
        if self.prior is not None and (self.org is None or self.weight <= 0.0):
            return self.prior.explain(rows, exact=self.exact)
        if self.org is None or self.prior is None:
            raise ValueError("a served model needs an org model or a prior")
        org = self.org.explain(rows, exact=self.exact)
        return blend(org, self.prior.explain(rows, exact=self.exact), self.weight)

    def predict(self, rows: list[dict[str, Any]]) -> np.ndarray:
        """Calibrated win probabilities."""
        return self.explain(rows).probability

    def importance(self) -> dict[str, float]:
        """Mean absolute contribution of each dimension, blended like the model."""
        out: dict[str, float] = {}
        for model, w in ((self.org, self.weight), (self.prior, 1.0 - self.weight)):
            if model is None:
                continue
            share = 1.0 if (self.org is None or self.prior is None) else w
            for d, v in model.importance.items():
                out[d] = out.get(d, 0.0) + share * v
        return out

    def error_model(self) -> ErrorModel | None:
        """The expected-error model behind composite confidence.

        The org model's when it carries most of the blend, else the prior's (``None`` if
        neither has one).
        """
        first, second = (self.org, self.prior) if self.weight >= 0.5 else (self.prior, self.org)
        for model in (first, second):
            if model is not None and model.error_model is not None:
                return model.error_model
        return None

    def score_cards(
        self, rows: Sequence[FeatureRow], *, recent_days: float = 21.0
    ) -> list[ScoreCard]:
        """Score cards (template explanations) for feature rows.

        Composite confidence is ``1 - 2 x expected absolute error`` from the served
        error model (see :mod:`scoring.confidence`).
        """
        if not rows:
            return []
        with collector_paused():  # ~10^5 short-lived containers (matrix, cards)
            return make_cards(
                self.explain([r.values for r in rows]),
                rows,
                version=self.version,
                importance=self.importance(),
                error_model=self.error_model(),
                recent_days=recent_days,
            )
