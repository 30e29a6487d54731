"""Find deals by id, CRM id, or a fuzzy name ("the Acme renewal"), within one org."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher, get_close_matches

from sqlalchemy import select
from sqlmodel import Session

from memory.models import Account, Deal, User

_STOP = {
    *("the", "a", "an", "deal", "deals", "opportunity", "opp", "with", "for", "at", "on", "my"),
    *("of", "s", "to", "in", "is", "and", "our", "their", "this", "that", "about", "status"),
    *("update", "updates", "latest", "info", "pls", "please", "thing", "one", "account"),
}


@dataclass(frozen=True)
class DealMatch:
    """A candidate deal and how well it matched the query (0..1)."""

    deal_id: str
    source_id: str
    name: str
    account_name: str
    score: float
    unmatched: tuple[str, ...] = ()
    """Distinctive words of the query (names in the org) this deal does not carry."""


def _tokens(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.lower()) if t not in _STOP}


def _similarity(query: set[str], weights: dict[str, float], candidate: set[str]) -> float:
    """How much of the query's *distinctive* wording the candidate carries (0..1).

    Each query token counts with the rarity (IDF) of the org's name word it stands for, so
    "Everest Pharma - Last-Mile Visibility" does not match "Lakeshore Freight - Last-Mile
    Visibility" on the product words every deal shares; words no deal or account uses
    ("status", "pls") are dropped first. Typos are tolerated token by token.
    """
    total = sum(weights.values())
    if not candidate or total == 0:
        return 0.0
    matched = sum(
        w
        for t, w in weights.items()
        if w and max(SequenceMatcher(None, t, u).ratio() for u in candidate) >= 0.8
    )
    whole = SequenceMatcher(None, " ".join(sorted(query)), " ".join(sorted(candidate))).ratio()
    return round(0.85 * matched / total + 0.15 * whole, 4)


def _unmatched(weights: dict[str, float], known: set[str], candidate: set[str]) -> tuple[str, ...]:
    """Query words naming something in the org that ``candidate`` lacks ("Farms" for "Couriers").

    Only words at least half as distinctive as the query's most distinctive word count: a
    common word ("renewal") left out is sloppy phrasing, a rare one is a different deal.
    """
    top = max(weights.values(), default=0.0)
    return tuple(
        sorted(
            t
            for t in known
            if weights.get(t, 0.0) >= top / 2
            and not any(SequenceMatcher(None, t, u).ratio() >= 0.8 for u in candidate)
        )
    )


def _weights(query: set[str], names: list[set[str]], *, ignore: set[str]) -> dict[str, float]:
    """IDF of the org's name word closest to each query token.

    A token close to no name word in the org counts as the rarest word: a name Keel does
    not know ("Everest Pharma") must not be matched on the words it shares with others.
    Tokens in ``ignore`` (the org's people: "Aisha's Rockport deal") weigh nothing.
    """
    df: dict[str, int] = {}
    for tokens in names:
        for t in tokens:
            df[t] = df.get(t, 0) + 1
    vocabulary = list(df)
    n = len(names)
    weights = {}
    for t in query:
        if t in ignore and t not in df:
            weights[t] = 0.0
            continue
        close = get_close_matches(t, vocabulary, n=1, cutoff=0.8)
        weights[t] = math.log((n + 1) / ((df[close[0]] if close else 0) + 1)) + 0.1
    return weights


def find_deals(
    session: Session,
    *,
    org_id: str,
    query: str,
    deal_ids: set[str] | None = None,
    limit: int = 5,
    min_score: float = 0.6,
) -> list[DealMatch]:
    """Return deals of ``org_id`` matching ``query``, best first.

    An exact deal id or CRM source id wins outright; otherwise deal and account names
    are compared token by token, tolerating typos. ``deal_ids`` restricts the search
    (this is how callers keep a rep inside their own deals).
    """
    query = query.strip()
    if not query:
        return []
    rows = session.execute(
        select(Deal.id, Deal.source_id, Deal.name, Account.name)  # type: ignore[call-overload]
        .join(Account, Account.id == Deal.account_id)
        .where(Deal.org_id == org_id)
    ).all()
    for deal_id, source_id, name, account_name in rows:
        if query in (deal_id, source_id) and (deal_ids is None or deal_id in deal_ids):
            return [DealMatch(deal_id, source_id, name, account_name, 1.0)]
    names = [_tokens(f"{account_name} {name}") for _, _, name, account_name in rows]
    people = set().union(
        *(_tokens(n) for n in session.scalars(select(User.name).where(User.org_id == org_id)))  # type: ignore[arg-type,call-overload]
    )
    wanted = _tokens(query)
    weights = _weights(wanted, names, ignore=people)
    vocabulary = list(set().union(*names))
    known = {t for t in wanted if weights.get(t) and get_close_matches(t, vocabulary, 1, 0.8)}
    matches: list[DealMatch] = []
    for (deal_id, source_id, name, account_name), tokens in zip(rows, names, strict=True):
        if deal_ids is not None and deal_id not in deal_ids:
            continue
        score = _similarity(wanted, weights, tokens)
        if score >= min_score:
            missing = _unmatched(weights, known, tokens)
            matches.append(DealMatch(deal_id, source_id, name, account_name, score, missing))
    matches.sort(key=lambda m: (-m.score, m.name))
    return matches[:limit]
