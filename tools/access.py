"""Who may see which deals, decided once for every tool.

A rep sees the deals they own; a manager sees their own and those of their team (reps whose
``manager_id`` is the manager, or who share the manager's team); an admin sees the whole
org. Ownership is the deal's ``owner_id`` field as of the instant asked about, read from the
append-only field log with the same rule as :mod:`memory.asof` (latest ``valid_from``, then
latest ``recorded_at``, then latest id). Tools resolve deal names only among the allowed
deals, so a deal the viewer may not see is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

from sqlalchemy import and_, select
from sqlmodel import Session

from memory.lookup import DealMatch, find_deals
from memory.models import Account, Deal, FieldChange, User
from tools.context import Viewer


class UnknownUserError(LookupError):
    """The user id does not exist in the org."""


def load_viewer(session: Session, *, org_id: str, user_id: str) -> Viewer:
    """Return the :class:`Viewer` for ``user_id`` of ``org_id``.

    Raises:
        UnknownUserError: No such user in that org.
    """
    user = session.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise UnknownUserError(f"no user {user_id!r} in org {org_id!r}")
    return Viewer(
        user_id=user.id,
        org_id=user.org_id,
        name=user.name,
        role=user.role,
        team=user.team,
        manager_id=user.manager_id,
        timezone=user.timezone or "UTC",
    )


def team_members(session: Session, viewer: Viewer) -> list[User]:
    """Return the users whose deals the viewer may see (the viewer first)."""
    query = select(User).where(User.org_id == viewer.org_id)  # type: ignore[arg-type]
    users = list(session.execute(query).scalars())
    me = [u for u in users if u.id == viewer.user_id]
    if viewer.role == "admin":
        return me + [u for u in users if u.id != viewer.user_id]
    if viewer.role == "manager":
        reports = [
            u
            for u in users
            if u.id != viewer.user_id
            and (u.manager_id == viewer.user_id or (viewer.team and u.team == viewer.team))
        ]
        return me + sorted(reports, key=lambda u: u.name)
    return me


def visible_owner_ids(session: Session, viewer: Viewer) -> set[str] | None:
    """Return the owner ids whose deals the viewer may see; ``None`` means the whole org."""
    if viewer.role == "admin":
        return None
    return {u.id for u in team_members(session, viewer)}


def deal_owners(session: Session, *, org_id: str, as_of: datetime) -> dict[str, str | None]:
    """Return each deal's ``owner_id`` as of ``as_of`` (deals never assigned map to ``None``)."""
    fc = FieldChange.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(fc.c.deal_id, fc.c.value, fc.c.valid_from, fc.c.recorded_at, fc.c.id).where(
            and_(fc.c.org_id == org_id, fc.c.field == "owner_id", fc.c.valid_from <= as_of)
        )
    ).all()
    best: dict[str, tuple[datetime, datetime, int, str | None]] = {}
    for deal_id, value, valid_from, recorded_at, row_id in rows:
        key = (valid_from, recorded_at, row_id)
        current = best.get(deal_id)
        if current is None or key > current[:3]:
            best[deal_id] = (*key, str(value) if value is not None else None)
    return {deal_id: entry[3] for deal_id, entry in best.items()}


def allowed_deal_ids(session: Session, viewer: Viewer, *, as_of: datetime) -> set[str]:
    """Return the ids of every deal the viewer may see as of ``as_of``."""
    owners = deal_owners(session, org_id=viewer.org_id, as_of=as_of)
    visible = visible_owner_ids(session, viewer)
    if visible is None:
        return set(owners)
    return {deal_id for deal_id, owner in owners.items() if owner in visible}


@dataclass(frozen=True)
class DealResolution:
    """The outcome of resolving a deal reference among the allowed deals.

    Attributes:
        match: The deal, when exactly one fits.
        candidates: Several close matches (ask the user which one).
        query: The reference as given.
        nearest: No deal fits, but this one comes close (it lacks a distinctive word the
            user gave: "Union Valley Farms" for "Union Valley Couriers"); offered, not used.
    """

    match: DealMatch | None
    candidates: list[DealMatch]
    query: str
    nearest: DealMatch | None = None


AMBIGUITY_MARGIN = 0.08
"""Matches within this similarity of the best one are shown as alternatives."""


def _trigrams(word: str) -> set[str]:
    return {word[i : i + 3] for i in range(len(word) - 2)}


def _share_trigrams(session: Session, query: str, allowed: set[str]) -> set[str]:
    """Allowed deals sharing a third of some query word's letter trigrams (name or account).

    A cheap pre-filter before the fuzzy matcher, which compares every token pair: a typo
    keeps most trigrams of a word. If nothing passes, the caller matches against every
    allowed deal.
    """
    words = [_trigrams(w) for w in re.findall(r"[a-z0-9]+", query.lower()) if len(w) >= 4]
    if not words:
        return set()
    rows = session.execute(
        select(Deal.id, Deal.name, Account.name)  # type: ignore[call-overload]
        .join(Account, Account.id == Deal.account_id)
        .where(Deal.id.in_(allowed))  # type: ignore[attr-defined]
    ).all()
    keep = set()
    for deal_id, name, account in rows:
        have = set().union(
            *(_trigrams(w) for w in re.findall(r"[a-z0-9]+", f"{name} {account}".lower()))
        )
        if any(len(w & have) * 3 >= len(w) for w in words):
            keep.add(deal_id)
    return keep


def resolve_deal(
    session: Session, viewer: Viewer, query: str, *, allowed: set[str]
) -> DealResolution:
    """Resolve "the Acme renewal" to one allowed deal, several candidates, or nothing."""
    query = query.strip()
    if not query or not allowed:
        return DealResolution(None, [], query)
    likely = _share_trigrams(session, query, allowed)
    matches = find_deals(
        session, org_id=viewer.org_id, query=query, deal_ids=likely or allowed, limit=6
    )
    if not matches and likely:
        matches = find_deals(session, org_id=viewer.org_id, query=query, deal_ids=allowed, limit=6)
    if not matches:
        return DealResolution(None, [], query)
    best = matches[0]
    if best.unmatched and best.score < 1.0:
        return DealResolution(None, [], query, nearest=best)
    close = [m for m in matches if m.score >= best.score - AMBIGUITY_MARGIN]
    if len(close) == 1 or (best.score == 1.0 and close[1].score < 1.0):
        return DealResolution(best, [], query)
    exact = [m for m in close if m.name.lower() == query.lower()]
    if len(exact) == 1:
        return DealResolution(exact[0], [], query)
    return DealResolution(None, close, query)


def resolve_user(session: Session, viewer: Viewer, name: str) -> tuple[User | None, list[User]]:
    """Find a seller by name among the users whose deals the viewer may see.

    Returns:
        ``(user, [])`` for one match, ``(None, candidates)`` for several, ``(None, [])`` for none.
    """
    wanted = name.strip().lower()
    members = team_members(session, viewer)
    if wanted in ("", "me", "my", "mine", "myself", "i"):
        return members[0] if members else None, []
    scored: list[tuple[float, User]] = []
    for user in members:
        parts = [user.name.lower(), *user.name.lower().split(), user.email.lower()]
        score = max(SequenceMatcher(None, wanted, p).ratio() for p in parts)
        if score >= 0.8:
            scored.append((score, user))
    scored.sort(key=lambda su: -su[0])
    if not scored:
        return None, []
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.05:
        return None, [u for _, u in scored]
    return scored[0][1], []
