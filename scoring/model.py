"""The XGBoost win model: training, Platt calibration, SHAP contributions, familiarity.

Calibration is Platt scaling (``a * margin + b``) fitted on a later, time-ordered slice
of the training deals. Because it is linear in the margin, the calibrated log-odds is
exactly ``base + sum(a * shap_i)``, so the per-feature (and per-dimension) contributions
add up to the calibrated win probability's log-odds. Familiarity ("has the model seen
deals like this?") is the share of trees whose leaf for the deal held enough training
snapshots.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb
from numpy.typing import NDArray

from scoring.confidence import ErrorModel
from scoring.dimensions import CONTEXT, DIMENSIONS
from scoring.matrix import FeatureSpec, Matrix

FAMILIAR_LEAF = 30.0
"""A leaf holding this many training snapshots (weighted) counts as familiar ground."""
FORMAT = 1

Vector = NDArray[np.float64]


@dataclass
class Dataset:
    """Feature rows with labels (1 = won) and weights (each deal sums to about 1)."""

    rows: list[dict[str, Any]]
    y: Vector
    w: Vector

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class Explanation:
    """A model's calibrated view of some deals, additive in log-odds.

    Attributes:
        columns: Matrix columns (features) explained.
        dims: Dimension (or ``context``) of each column.
        contrib: ``(n, columns)`` calibrated log-odds contribution of each feature.
        base: ``(n,)`` calibrated log-odds of the average deal (bias term).
        familiarity: ``(n,)`` 0..1, how familiar the model is with each deal.
        values: ``(n, columns)`` the feature values the contributions are for.
    """

    columns: list[str]
    dims: list[str]
    contrib: NDArray[np.float64]
    base: Vector
    familiarity: Vector
    values: Matrix

    @property
    def logit(self) -> Vector:
        """Calibrated log-odds of winning."""
        out: Vector = self.base + self.contrib.sum(axis=1)
        return out

    @property
    def probability(self) -> Vector:
        """Calibrated win probability."""
        return 1.0 / (1.0 + np.exp(-self.logit))

    def by_dimension(self) -> dict[str, Vector]:
        """Summed contribution of each dimension (and ``context``), per deal."""
        out: dict[str, Vector] = {}
        dims = np.array(self.dims)
        for d in (*DIMENSIONS, CONTEXT):
            mask = dims == d
            out[d] = self.contrib[:, mask].sum(axis=1) if mask.any() else np.zeros(len(self.base))
        return out


@dataclass
class WinModel:
    """A trained win model with its columns, calibration and training facts."""

    version: str
    kind: str
    spec: FeatureSpec
    booster: xgb.Booster
    platt: tuple[float, float]
    leaf_table: NDArray[np.float64]
    importance: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def error_model(self) -> ErrorModel | None:
        """The expected-error model fitted with it (``None`` for older models)."""
        return ErrorModel.from_dict(self.meta.get("error_model"))

    def _dmatrix(self, x: Matrix) -> xgb.DMatrix:
        return xgb.DMatrix(x, missing=np.nan, feature_names=_safe_names(self.spec.columns))

    def use_threads(self, n: int) -> None:
        """Set how many CPU threads prediction uses."""
        self.booster.set_param({"nthread": n})

    def explain(self, rows: list[dict[str, Any]], *, exact: bool = False) -> Explanation:
        """Calibrated contributions, base and familiarity for feature rows.

        Args:
            rows: Feature dicts.
            exact: TreeSHAP values (slow) instead of path attributions (fast); both
                add up exactly to the model's log-odds.
        """
        x = self.spec.transform(rows)
        a, b = self.platt
        if not rows:
            empty = np.zeros(0)
            return Explanation(
                self.spec.columns,
                self.spec.dimensions(),
                np.zeros((0, x.shape[1])),
                empty,
                empty,
                x,
            )
        dm = self._dmatrix(x)
        shap = self.booster.predict(dm, pred_contribs=True, approx_contribs=not exact)
        shap = shap.astype(np.float64)
        leaves = self.booster.predict(dm, pred_leaf=True).astype(np.int64)
        if leaves.ndim == 1:
            leaves = leaves[:, None]
        counts = self.leaf_table[np.arange(leaves.shape[1])[None, :], leaves]
        familiarity = np.minimum(counts / FAMILIAR_LEAF, 1.0).mean(axis=1)
        return Explanation(
            columns=self.spec.columns,
            dims=self.spec.dimensions(),
            contrib=a * shap[:, :-1],
            base=a * shap[:, -1] + b,
            familiarity=familiarity,
            values=x,
        )

    def predict(self, rows: list[dict[str, Any]]) -> Vector:
        """Calibrated win probabilities."""
        x = self.spec.transform(rows)
        if not rows:
            return np.zeros(0)
        margin = self.booster.predict(self._dmatrix(x), output_margin=True).astype(np.float64)
        a, b = self.platt
        return 1.0 / (1.0 + np.exp(-(a * margin + b)))

    def to_bytes(self) -> bytes:
        """Serialise (gzip'd JSON with the booster as base64 UBJSON)."""
        doc = {
            "format": FORMAT,
            "version": self.version,
            "kind": self.kind,
            "spec": self.spec.as_dict(),
            "platt": list(self.platt),
            "leaf_table": self.leaf_table.tolist(),
            "importance": self.importance,
            "meta": self.meta,
            "booster": base64.b64encode(bytes(self.booster.save_raw("ubj"))).decode("ascii"),
        }
        return gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), mtime=0)

    @classmethod
    def from_bytes(cls, data: bytes) -> WinModel:
        """Inverse of :meth:`to_bytes`.

        Raises:
            ValueError: the data is not a Keel win model of a known format.
        """
        try:
            doc = json.loads(gzip.decompress(data))
        except (OSError, ValueError) as exc:
            raise ValueError(f"not a Keel win model file: {exc}") from exc
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown win model format {doc.get('format')!r} (expected {FORMAT})")
        booster = xgb.Booster()
        booster.load_model(bytearray(base64.b64decode(doc["booster"])))
        return cls(
            version=doc["version"],
            kind=doc["kind"],
            spec=FeatureSpec.from_dict(doc["spec"]),
            booster=booster,
            platt=(float(doc["platt"][0]), float(doc["platt"][1])),
            leaf_table=np.asarray(doc["leaf_table"], dtype=np.float64),
            importance={k: float(v) for k, v in doc["importance"].items()},
            meta=doc["meta"],
        )


def _safe_names(columns: list[str]) -> list[str]:
    """XGBoost forbids ``[``, ``]`` and ``<`` in feature names."""
    return [c.replace("[", "(").replace("]", ")").replace("<", "lt") for c in columns]
