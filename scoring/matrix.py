"""Turning feature rows into a model matrix: numeric columns plus one-hot categories.

A :class:`FeatureSpec` is fitted on training rows (which categorical values are common
enough to get a column) and stored with the model, so a model always reads exactly the
columns it was trained on; unseen categories and missing numbers become 0 / NaN.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scoring.dimensions import dimension_of_feature

Matrix = NDArray[np.float32]


def _is_numeric(value: Any) -> bool:
    return value is None or isinstance(value, int | float) and not isinstance(value, bool)


def numeric_column(rows: Sequence[Mapping[str, Any]], name: str) -> NDArray[np.float64]:
    """One feature across rows as floats (NaN where missing or not a number)."""
    values = [row.get(name) for row in rows]
    try:
        return np.array(values, dtype=np.float64)  # None becomes NaN
    except (TypeError, ValueError):
        return np.array(
            [float(v) if isinstance(v, int | float) else np.nan for v in values], dtype=np.float64
        )


def numeric_block(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> NDArray[np.float64]:
    """``(len(rows), len(names))`` floats (NaN where missing or not a number), in one pass."""
    values: list[Any]
    if len(names) >= 2:  # itemgetter then returns a tuple
        # itemgetter reads a whole row in C; a row lacking a feature takes the .get path
        get = itemgetter(*names)
        values = []
        for row in rows:
            try:
                values.append(get(row))
            except KeyError:
                values.append(tuple(map(row.get, names)))
    else:
        values = [list(map(row.get, names)) for row in rows]
    try:
        return np.array(values, dtype=np.float64).reshape(len(rows), len(names))  # None: NaN
    except (TypeError, ValueError):
        return np.stack([numeric_column(rows, n) for n in names], axis=1).reshape(
            len(rows), len(names)
        )


@dataclass
class FeatureSpec:
    """The columns of a model: numeric features, then ``name=value`` indicator columns."""

    numeric: list[str] = field(default_factory=list)
    categorical: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(cls, rows: Sequence[dict[str, Any]], *, min_count: int = 10) -> FeatureSpec:
        """Choose columns from training rows.

        Args:
            rows: Feature dicts (keys starting with ``_`` are ignored).
            min_count: A categorical value needs this many rows to get its own column.
        """
        numeric: set[str] = set()
        counts: dict[str, Counter[str]] = {}
        for row in rows:
            for name, value in row.items():
                if name.startswith("_"):
                    continue
                if isinstance(value, list | tuple):
                    counts.setdefault(name, Counter()).update(str(v) for v in value)
                elif isinstance(value, str):
                    counts.setdefault(name, Counter())[value] += 1
                elif _is_numeric(value) or isinstance(value, bool):
                    numeric.add(name)
        categorical = {
            name: sorted(v for v, n in c.items() if n >= min_count)
            for name, c in sorted(counts.items())
        }
        return cls(sorted(numeric), {k: v for k, v in categorical.items() if v})

    @property
    def columns(self) -> list[str]:
        """Column names in matrix order."""
        return self.numeric + [f"{k}={v}" for k, values in self.categorical.items() for v in values]

    def dimensions(self) -> list[str]:
        """The dimension (or ``"context"``) each column belongs to, in matrix order."""
        out = [dimension_of_feature(n) for n in self.numeric]
        for name, values in self.categorical.items():
            out += [dimension_of_feature(name)] * len(values)
        return out

    def transform(self, rows: Sequence[dict[str, Any]]) -> Matrix:
        """Matrix of ``rows`` (NaN = unknown number; 0/1 indicators for categories)."""
        n_num = len(self.numeric)
        offsets: dict[str, dict[str, int]] = {}
        col = n_num
        for name, values in self.categorical.items():
            offsets[name] = {v: col + i for i, v in enumerate(values)}
            col += len(values)
        out = np.zeros((len(rows), col), dtype=np.float32)
        if n_num:
            out[:, :n_num] = numeric_block(rows, self.numeric)
        # Indicator positions are gathered first and set with one numpy call (assigning
        # one numpy element per indicator was a third of the matrix's cost on 10k rows).
        hit_rows: list[int] = []
        hit_cols: list[int] = []
        for name, index in offsets.items():
            for i, value in enumerate([row.get(name) for row in rows]):
                if value is None:
                    continue
                for v in value if isinstance(value, list | tuple) else (value,):
                    k = index.get(str(v))
                    if k is not None:
                        hit_rows.append(i)
                        hit_cols.append(k)
        if hit_rows:
            out[hit_rows, hit_cols] = 1.0
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored with the model)."""
        return {"numeric": self.numeric, "categorical": self.categorical}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSpec:
        """Inverse of :meth:`as_dict`."""
        return cls(list(data["numeric"]), {k: list(v) for k, v in data["categorical"].items()})
