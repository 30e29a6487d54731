"""Scheduler wiring: each user's briefing at their local morning, once per (user, day).

Every user gets an APScheduler cron job at ``hour``:00 in their own timezone
(``User.timezone``); a catch-up pass (:meth:`BriefingScheduler.run_due`) at start-up and
every few minutes sends briefings whose time has passed but that nobody sent yet. The
clock is injected so tests drive time. Delivery is idempotent per (org, user, day, kind)
through the briefing table's unique key, so two scheduler processes never double-send.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.briefing import BriefingDoc, briefing_instant, deliver, local_day
from memory.briefing_store import Briefing, latest_patterns, save_patterns
from memory.db import session_scope
from memory.models import User

logger = logging.getLogger(__name__)


class Clock(Protocol):
    """Something that tells the time (UTC-aware)."""

    def __call__(self) -> datetime:
        """Now."""
        ...


def system_clock() -> datetime:
    """The real UTC time."""
    return datetime.now(UTC)


MakeDoc = Callable[[Session, User, str], BriefingDoc]
"""Compose the briefing of (session, user, local day)."""


def compose_from_store(
    session: Session,
    *,
    org_id: str,
    user: User,
    day: str,
    note: Callable[[str], None] | None = None,
) -> BriefingDoc:
    """Compose ``user``'s briefing of ``day`` with the org's stored patterns and served model.

    Mines (and stores) patterns when none are stored yet; without a win model the
    probability-drop alerts are off and ``note`` is told why.
    """
    from agent.briefing import compose
    from scoring.alert_feed import stall_conditions
    from scoring.patterns import mine_patterns
    from scoring.registry import NoModelError
    from scoring.service import KeelScorer

    stored = latest_patterns(session, org_id=org_id)
    if stored is not None:
        stalls = stall_conditions(stored.report)
    else:
        report = mine_patterns(session, org_id=org_id, as_of=datetime.now(UTC))
        save_patterns(session, report=report.as_dict(), now=datetime.now(UTC))
        stalls = stall_conditions(report)
    try:
        model: Any = KeelScorer(record=False).served(session, org_id=org_id)
    except NoModelError as exc:
        (note or logger.warning)(f"no win model ({exc}); probability-drop alerts are off")
        model = None
    return compose(session, org_id=org_id, user=user, day=day, model=model, stalls=stalls)


def store_make_doc(org_id: str) -> MakeDoc:
    """A :data:`MakeDoc` composing with :func:`compose_from_store` for ``org_id``."""

    def make(session: Session, user: User, day: str) -> BriefingDoc:
        return compose_from_store(session, org_id=org_id, user=user, day=day)

    return make


class BriefingScheduler:
    """Sends each user's morning briefing once a day.

    Args:
        engine: The store.
        org_id: The org whose users are briefed.
        make_doc: Composes a briefing (e.g. ``agent.briefing.compose`` with a model bound).
        clock: Time source (inject a fake in tests).
        hour: Local hour of the briefing.
        instance: Name of this process (recorded as ``claimed_by``).
        on_ready: Called with each briefing this process stored (push into a live chat).
    """

    def __init__(
        self, engine: Engine, *, org_id: str, make_doc: MakeDoc, clock: Clock = system_clock,
        hour: int = 7, instance: str | None = None,
        on_ready: Callable[[Briefing], None] | None = None,
    ) -> None:  # fmt: skip
        self.engine, self.org_id, self.make_doc = engine, org_id, make_doc
        self.clock, self.hour, self.on_ready = clock, hour, on_ready
        self.instance = instance or f"{socket.gethostname()}:{id(self)}"

    def users(self) -> list[User]:
        """Reps and managers of the org."""
        with session_scope(self.engine) as s:
            rows = list(s.scalars(select(User).where(User.org_id == self.org_id,  # type: ignore[arg-type]
                                                     User.role.in_(["rep", "manager"]))))  # type: ignore[attr-defined]  # fmt: skip
            for u in rows:
                s.expunge(u)
        return rows

    def run_for(self, user: User) -> Briefing | None:
        """Send ``user`` today's briefing if it is due and nobody sent it yet."""
        now = self.clock()
        day = local_day(now, user.timezone)
        if now < briefing_instant(day, user.timezone, self.hour):
            return None
        row = deliver(self.engine, org_id=self.org_id, user=user, day=day, now=now,
                      claimed_by=self.instance,
                      make=lambda s: self.make_doc(s, user, day))  # fmt: skip
        if row is not None and self.on_ready is not None:
            self.on_ready(row)
        return row

    def run_due(self) -> list[Briefing]:
        """Catch-up pass: every user whose briefing time passed today and who has none."""
        out = []
        for user in self.users():
            row = self.run_for(user)
            if row is not None:
                out.append(row)
        return out

    def install(
        self, scheduler: AsyncIOScheduler, *, catch_up_minutes: int = 10, catch_up_now: bool = False
    ) -> None:
        """Add one cron job per user (their local morning) and a periodic catch-up job.

        With ``catch_up_now`` the first catch-up pass runs as soon as the scheduler starts
        (a server that was down at someone's morning sends it on start-up).
        """
        first = (
            {"next_run_time": datetime.now(UTC)} if catch_up_now else {}
        )  # APScheduler runs on wall time
        for user in self.users():
            scheduler.add_job(self.run_for, CronTrigger(hour=self.hour, minute=0, timezone=user.timezone),
                              args=[user], id=f"briefing:{self.org_id}:{user.id}",
                              replace_existing=True, misfire_grace_time=3600, coalesce=True)  # fmt: skip
        scheduler.add_job(self.run_due, IntervalTrigger(minutes=catch_up_minutes),
                          id=f"briefing-catchup:{self.org_id}", replace_existing=True,
                          coalesce=True, max_instances=1, **first)  # fmt: skip
