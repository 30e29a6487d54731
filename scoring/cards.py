"""Score cards: a deal's win probability, confidence and eight dimensions, built in bulk.

Cards are cheap to make for a whole pipeline: the probability, confidence and the eight
dimension scores are computed with numpy for all deals at once; drivers (in words) and
template explanations are built only when a card's dimensions are first read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

import numpy as np

from scoring.confidence import ErrorModel, composite_confidences, confidence_matrix
from scoring.dimensions import CONTEXT, DIMENSIONS, LABELS, describe
from scoring.explain_text import template_explanation
from scoring.features import FeatureRow
from scoring.model import Explanation

MAX_DRIVERS = 3
MIN_EFFECT = 0.05
"""Contributions smaller than this (log-odds) are not worth naming as drivers."""

Detail = tuple[list["DimensionScore"], list[dict[str, Any]]]


@dataclass(frozen=True)
class DimensionScore:
    """One dimension of a deal's score card."""

    name: str
    score: int
    confidence: float
    contribution: float
    drivers: list[dict[str, Any]]
    explanation: str = ""

    @property
    def label(self) -> str:
        """Human name of the dimension."""
        return LABELS[self.name]

    def as_dict(self) -> dict[str, Any]:
        """The public JSON form: name, score, confidence, drivers, explanation."""
        return {
            "name": self.name,
            "score": self.score,
            "confidence": self.confidence,
            "drivers": self.drivers,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, eq=False)
class ScoreCard:
    """A deal's calibrated win probability, confidence and eight dimensions.

    ``base + sum(d.contribution for d in dimensions) + context`` is the log-odds of
    ``win_probability``. ``scores`` holds the eight dimension scores (``DIMENSIONS``
    order) without building the dimensions.
    """

    deal_id: str
    as_of: datetime
    win_probability: float
    confidence: float
    model_version: str
    base: float
    context: float
    familiarity: float
    scores: tuple[int, ...]
    detail: Callable[[], Detail] = field(repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        *,
        deal_id: str,
        as_of: datetime,
        win_probability: float,
        confidence: float,
        model_version: str,
        dimensions: Sequence[DimensionScore],
        base: float = 0.0,
        context: float = 0.0,
        context_drivers: Sequence[dict[str, Any]] = (),
        familiarity: float = 1.0,
    ) -> ScoreCard:
        """A card from ready-made dimensions."""
        dims, ctx = list(dimensions), list(context_drivers)
        return cls(
            deal_id, as_of, win_probability, confidence, model_version, base, context,
            familiarity, tuple(d.score for d in dims), lambda: (dims, ctx),
        )  # fmt: skip

    def _detail(self) -> Detail:
        if "detail" not in self._cache:
            self._cache["detail"] = self.detail()
        out: Detail = self._cache["detail"]
        return out

    @property
    def dimensions(self) -> list[DimensionScore]:
        """The eight dimensions with drivers and explanations."""
        return self._detail()[0]

    @property
    def context_drivers(self) -> list[dict[str, Any]]:
        """Drivers of the deal's context (rep history, segment, custom fields)."""
        return self._detail()[1]

    @property
    def details(self) -> dict[str, Any]:
        """Extra facts for the cascade's deal roll-up."""
        return {
            "confidence": self.confidence,
            "dimensions": dict(zip(DIMENSIONS, self.scores, strict=True)),
        }

    def as_dict(self) -> dict[str, Any]:
        """The public JSON form (exactly the documented keys)."""
        return {
            "deal_id": self.deal_id,
            "win_probability": self.win_probability,
            "confidence": self.confidence,
            "dimensions": [d.as_dict() for d in self.dimensions],
            "model_version": self.model_version,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreCard):
            return NotImplemented
        return (self.as_dict(), self.as_of, self.base, self.context) == (
            other.as_dict(), other.as_of, other.base, other.context,
        )  # fmt: skip

    __hash__ = None  # type: ignore[assignment]

    def with_explanations(self, texts: dict[str, str]) -> ScoreCard:
        """A copy whose dimensions carry the given explanations (others unchanged)."""
        dims = [replace(d, explanation=texts.get(d.name, d.explanation)) for d in self.dimensions]
        ctx = self.context_drivers
        return replace(self, detail=lambda: (dims, ctx), _cache={})


def dimension_scores(contribution: np.ndarray) -> np.ndarray:
    """0-100 scores from summed log-odds contributions (vectorised ``dimension_score``)."""
    out: np.ndarray = np.rint(100.0 / (1.0 + np.exp(-np.clip(contribution, -30.0, 30.0))))
    return out.astype(int)


class CardBatch:
    """The numbers behind many cards; a card's words are built from here on demand."""

    def __init__(self, ex: Explanation, rows: Sequence[FeatureRow], recent_days: float) -> None:
        self.ex = ex
        per_dim = ex.by_dimension()
        self.contrib = np.stack([per_dim[d] for d in DIMENSIONS], axis=1)
        self.context = per_dim[CONTEXT]
        self.scores = dimension_scores(self.contrib)
        self.conf = confidence_matrix([r.values for r in rows], recent_days=recent_days)
        dims = np.array(ex.dims)
        self.masks = {d: np.flatnonzero(dims == d) for d in (*DIMENSIONS, CONTEXT)}

    def detail(self, i: int) -> Detail:
        """Dimensions (with drivers and template explanations) and context drivers of deal ``i``."""
        out = []
        for k, d in enumerate(DIMENSIONS):
            drivers = _drivers(self.ex, i, self.masks[d])
            score, conf = int(self.scores[i, k]), float(self.conf[i, k])
            out.append(
                DimensionScore(
                    name=d,
                    score=score,
                    confidence=conf,
                    contribution=round(float(self.contrib[i, k]), 4),
                    drivers=drivers,
                    explanation=template_explanation(LABELS[d], score, conf, drivers),
                )
            )
        return out, _drivers(self.ex, i, self.masks[CONTEXT])


def make_cards(
    ex: Explanation,
    rows: Sequence[FeatureRow],
    *,
    version: str,
    importance: dict[str, float],
    error_model: ErrorModel | None = None,
    recent_days: float = 21.0,
) -> list[ScoreCard]:
    """Score cards of ``rows`` from their (calibrated, additive) explanation.

    Composite confidence is ``1 - 2 x expected absolute error`` under ``error_model``
    (see :mod:`scoring.confidence`).
    """
    if not rows:
        return []
    batch = CardBatch(ex, rows, recent_days)
    prob = np.round(ex.probability, 4)
    confidence = composite_confidences(
        batch.conf, importance, ex.familiarity, ex.probability, error_model
    )
    # Whole columns become Python numbers at once (``tolist`` gives the same floats and
    # ints as converting element by element, for a fraction of the cost).
    columns = zip(
        rows,
        prob.tolist(),
        np.asarray(confidence, dtype=np.float64).tolist(),
        np.asarray(ex.base, dtype=np.float64).tolist(),
        np.asarray(batch.context, dtype=np.float64).tolist(),
        np.asarray(ex.familiarity, dtype=np.float64).tolist(),
        batch.scores.tolist(),
        strict=True,
    )
    return [
        ScoreCard(
            deal_id=row.deal_id,
            as_of=row.at,
            win_probability=p,
            confidence=c,
            model_version=version,
            base=round(base, 4),
            context=round(context, 4),
            familiarity=round(familiar, 3),
            scores=tuple(scores),
            detail=partial(batch.detail, i),
        )
        for i, (row, p, c, base, context, familiar, scores) in enumerate(columns)
    ]


def _drivers(ex: Explanation, i: int, cols: np.ndarray) -> list[dict[str, Any]]:
    if len(cols) == 0:
        return []
    effects = ex.contrib[i, cols]
    order = np.argsort(-np.abs(effects))[:MAX_DRIVERS]
    out = []
    for k in order:
        effect = float(effects[k])
        if abs(effect) < MIN_EFFECT:
            break
        col = int(cols[k])
        raw = float(ex.values[i, col])
        value = None if np.isnan(raw) else round(raw, 3)
        out.append(
            {
                "feature": ex.columns[col],
                "value": value,
                "text": describe(ex.columns[col], value),
                "effect": round(effect, 3),
            }
        )
    return out
