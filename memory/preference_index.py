"""Preference filters and the in-process index of one org's preferences (local mode).

:class:`PrefFilter` is the one description of "which preferences": the store turns it into
a Qdrant filter for a server and evaluates it here for the local-mode index, and tests
check that both give the same answers. :class:`OrgIndex` keeps an org's vectors in one
matrix with per-row attributes, so a rep's preferences are found through a per-user row
list and a cross-rep search is one masked matrix product, whatever the org's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from memory.preference_models import Preference


@dataclass(frozen=True)
class PrefFilter:
    """Which of an org's preferences a read returns (the org itself is always required).

    Attributes:
        user_id: Only this rep's user-scope preferences.
        scope: Only ``user`` or only ``org`` preferences.
        kind: Only this kind.
        visible_to: This rep's own preferences plus every org preference.
        exclude_user_id: Leave out this rep's preferences.
        include_retired: Also return retired preferences.
    """

    user_id: str | None = None
    scope: str | None = None
    kind: str | None = None
    visible_to: str | None = None
    exclude_user_id: str | None = None
    include_retired: bool = False

    def matches(self, pref: Preference) -> bool:
        """True if ``pref`` passes this filter (the org is checked by the store)."""
        if not self.include_retired and not pref.active:
            return False
        if self.kind is not None and pref.kind != self.kind:
            return False
        if self.scope is not None and pref.scope != self.scope:
            return False
        if self.user_id is not None and pref.user_id != self.user_id:
            return False
        if self.exclude_user_id is not None and pref.user_id == self.exclude_user_id:
            return False
        return not (
            self.visible_to is not None and pref.scope != "org" and pref.user_id != self.visible_to
        )


class OrgIndex:
    """Vectors and records of one org's preferences, searchable without a full scan.

    Args:
        dim: Vector dimension.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._matrix = np.zeros((64, dim), dtype=np.float32)
        self._alive = np.zeros(64, dtype=bool)
        self._rows: dict[str, int] = {}
        self._prefs: list[Preference | None] = []
        self._by_user: dict[str, set[int]] = {}
        self._org_rows: set[int] = set()

    def _grow(self) -> None:
        size = self._matrix.shape[0] * 2
        matrix = np.zeros((size, self.dim), dtype=np.float32)
        matrix[: self._matrix.shape[0]] = self._matrix
        alive = np.zeros(size, dtype=bool)
        alive[: self._alive.shape[0]] = self._alive
        self._matrix, self._alive = matrix, alive

    def put(self, pref: Preference, vector: npt.NDArray[np.float32]) -> None:
        """Insert or replace a preference and its vector."""
        row = self._rows.get(pref.id)
        if row is None:
            row = len(self._prefs)
            if row >= self._matrix.shape[0]:
                self._grow()
            self._rows[pref.id] = row
            self._prefs.append(pref)
        else:
            self._unlink(row)
            self._prefs[row] = pref
        self._matrix[row] = vector
        self._alive[row] = True
        if pref.scope == "org":
            self._org_rows.add(row)
        elif pref.user_id is not None:
            self._by_user.setdefault(pref.user_id, set()).add(row)

    def _unlink(self, row: int) -> None:
        old = self._prefs[row]
        if old is None:
            return
        self._org_rows.discard(row)
        if old.user_id is not None:
            self._by_user.get(old.user_id, set()).discard(row)

    def remove(self, pref_id: str) -> None:
        """Forget a deleted preference."""
        row = self._rows.pop(pref_id, None)
        if row is None:
            return
        self._unlink(row)
        self._prefs[row] = None
        self._alive[row] = False

    def get(self, pref_id: str) -> Preference | None:
        """Return a preference by id."""
        row = self._rows.get(pref_id)
        return None if row is None else self._prefs[row]

    def vector(self, pref_id: str) -> npt.NDArray[np.float32] | None:
        """Return a preference's vector."""
        row = self._rows.get(pref_id)
        return None if row is None else self._matrix[row].copy()

    def _candidate_rows(self, flt: PrefFilter) -> Iterable[int]:
        owner = flt.user_id or flt.visible_to
        if owner is not None:
            rows = set(self._by_user.get(owner, set()))
            if flt.visible_to is not None and flt.scope != "user":
                rows |= self._org_rows
            return sorted(rows)
        if flt.scope == "org":
            return sorted(self._org_rows)
        return np.flatnonzero(self._alive[: len(self._prefs)]).tolist()

    def select(self, flt: PrefFilter) -> list[Preference]:
        """Return the preferences passing ``flt``."""
        out = []
        for row in self._candidate_rows(flt):
            pref = self._prefs[row]
            if pref is not None and flt.matches(pref):
                out.append(pref)
        return out

    def search(
        self, vector: npt.NDArray[np.float32], flt: PrefFilter, *, limit: int
    ) -> list[tuple[Preference, float]]:
        """Return up to ``limit`` preferences passing ``flt``, most similar first."""
        rows = [
            r
            for r in self._candidate_rows(flt)
            if (p := self._prefs[r]) is not None and flt.matches(p)
        ]
        if not rows or limit <= 0:
            return []
        idx = np.asarray(rows, dtype=np.int64)
        scores = self._matrix[idx] @ vector.astype(np.float32)
        if len(idx) > limit:
            top = np.argpartition(-scores, limit - 1)[:limit]
        else:
            top = np.arange(len(idx))
        order = top[np.argsort(-scores[top], kind="stable")]
        result = []
        for i in order:
            pref = self._prefs[int(idx[i])]
            assert pref is not None
            result.append((pref, float(scores[i])))
        return result
