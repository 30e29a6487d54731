"""Reading extracted signals as Keel knew them at an instant, and normalising their values.

An activity may have been extracted several times (new extractor versions, re-runs). At
instant ``t`` the newest extraction recorded by ``t`` counts. When none was recorded by
``t`` (history imported and extracted later), ``backfill`` uses the earliest later
extraction: signals are a function of the activity's text alone, which Keel had since
the activity was recorded, so no later *world* information leaks in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

SENIORITY_RANK = {"ic": 1, "manager": 2, "director": 3, "exec": 4}
"""Ordinal of a buyer's seniority (0 = no champion)."""

SENIORITY_WORDS = {0: "none", 1: "ic", 2: "manager", 3: "director", 4: "exec"}

_EXEC = re.compile(
    r"\b(chief|ceo|cfo|coo|cto|cio|cro|president|founder|owner|vp|svp|evp|vice president|head of)\b",
    re.I,
)
_DIRECTOR = re.compile(r"\bdirector\b", re.I)
_MANAGER = re.compile(r"\b(manager|lead|supervisor|controller)\b", re.I)

RISK_CATEGORIES = ("champion_left", "budget", "other")
_CHAMPION_LEFT = re.compile(
    r"(champion|sponsor|contact).*(left|leav|depart|quit|resign|gone)|(left|leaving) the company",
    re.I,
)
_BUDGET = re.compile(r"budget|funding|spend freeze|freeze|frozen|cost cut", re.I)


def seniority_of(title: Any, stated: Any = None) -> str | None:
    """Seniority of a buyer: the stated one if valid, else inferred from the job title."""
    return _seniority(
        title if isinstance(title, str) else None, stated if isinstance(stated, str) else None
    )


@lru_cache(maxsize=8192)
def _seniority(title: str | None, stated: str | None) -> str | None:
    if stated in SENIORITY_RANK:
        return stated
    if not title:
        return None
    if _EXEC.search(title):
        return "exec"
    if _DIRECTOR.search(title):
        return "director"
    if _MANAGER.search(title):
        return "manager"
    return "ic"


def risk_category(text: Any) -> str:
    """Bucket a free-text risk: ``champion_left``, ``budget`` or ``other``."""
    return _risk(str(text))


@lru_cache(maxsize=8192)
def _risk(text: str) -> str:
    if _CHAMPION_LEFT.search(text):
        return "champion_left"
    if _BUDGET.search(text):
        return "budget"
    return "other"


def payload_at(
    versions: Sequence[tuple[float, dict[str, Any]]], t: float, *, backfill: bool
) -> dict[str, Any] | None:
    """Pick the extraction of one activity that counts at instant ``t``.

    Args:
        versions: ``(recorded_at_seconds, payload)`` in recorded order.
        t: The scoring instant (seconds).
        backfill: Fall back to the earliest later extraction when none was recorded by ``t``.
    """
    chosen: dict[str, Any] | None = None
    for recorded, payload in versions:
        if recorded <= t:
            chosen = payload
        else:
            break
    if chosen is None and backfill and versions:
        chosen = versions[0][1]
    return chosen


def as_bool(value: Any) -> bool:
    """Lenient truth value of an extracted flag (``"yes"``, ``1``, ``True``...)."""
    if value is True or value is False or value is None:
        return value is True
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "y")
    return bool(value)


def names_of(items: Any) -> list[str]:
    """Names from a list of strings or of ``{"name": ...}`` dicts, blanks dropped."""
    if not items:
        return []
    out = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            out.append(name.strip())
    return out
