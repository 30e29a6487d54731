"""Morning briefings in the live chat: who is connected, pushing new briefings, showing on open.

:class:`SessionRegistry` knows this process's connected chat sessions per user.
:class:`ChatBriefings` pushes a ready briefing into every open session of its user the
moment it is stored (the in-process scheduler's ``on_ready``) or, for briefings another
process stored (``keel brief --deliver``, a second scheduler), at the next poll. Each
briefing is pushed once: ``delivered_at`` is claimed with a conditional update. A user
who was away finds the latest briefing at the top of a new chat: today's, or the latest
one never delivered (older undelivered ones are superseded, not replayed).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from agent.briefing import local_day
from memory.briefing_store import Briefing, briefings_for
from memory.db import session_scope
from memory.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BriefingNote:
    """A ready briefing as the chat shows it."""

    id: int
    user_id: str
    day: str
    kind: str
    text: str

    @classmethod
    def of(cls, row: Briefing) -> BriefingNote:
        """From a stored briefing row."""
        assert row.id is not None
        return cls(id=row.id, user_id=row.user_id, day=row.day, kind=row.kind, text=row.text)

    def message(self) -> str:
        """The chat message: a title line, then the briefing text."""
        title = "Team briefing" if self.kind == "team" else "Morning briefing"
        return f"**{title}, {self.day}**\n\n{self.text}"


Send = Callable[[str, BriefingNote], Awaitable[bool]]
"""Show a briefing in one chat session; ``False`` if the session is gone."""


@dataclass
class _Entry:
    user_id: str
    shown: set[int] = field(default_factory=set)


class SessionRegistry:
    """Connected chat sessions of this process, per user (used from the event loop only)."""

    def __init__(self) -> None:
        """Start empty."""
        self._entries: dict[str, _Entry] = {}

    def add(self, session_id: str, user_id: str) -> None:
        """Register a session (again: keeps what it was already shown)."""
        entry = self._entries.get(session_id)
        if entry is None or entry.user_id != user_id:
            self._entries[session_id] = _Entry(user_id)

    def remove(self, session_id: str) -> None:
        """Forget a session (ended or disconnected)."""
        self._entries.pop(session_id, None)

    def sessions_of(self, user_id: str) -> list[str]:
        """Open sessions of ``user_id``."""
        return [sid for sid, e in self._entries.items() if e.user_id == user_id]

    def user_ids(self) -> set[str]:
        """Users with at least one open session."""
        return {e.user_id for e in self._entries.values()}

    def mark_shown(self, session_id: str, briefing_id: int) -> bool:
        """Record that the session shows a briefing; ``False`` if it already did (or is gone)."""
        entry = self._entries.get(session_id)
        if entry is None or briefing_id in entry.shown:
            return False
        entry.shown.add(briefing_id)
        return True


def pending_briefings(
    engine: Engine, *, org_id: str, user_ids: Iterable[str]
) -> list[BriefingNote]:
    """Ready briefings of these users not yet delivered into a chat, oldest first."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    query = (
        select(Briefing)
        .where(col(Briefing.org_id) == org_id, col(Briefing.user_id).in_(ids))
        .where(col(Briefing.status) == "ready", col(Briefing.delivered_at).is_(None))
        .order_by(col(Briefing.day), col(Briefing.id))
    )
    with session_scope(engine) as s:
        return [BriefingNote.of(r) for r in s.scalars(query)]


def claim_delivery(engine: Engine, *, briefing_ids: list[int], now: datetime) -> list[int]:
    """Set ``delivered_at`` on those of ``briefing_ids`` nobody delivered; return the ones won."""
    won = []
    with session_scope(engine) as s:
        for bid in briefing_ids:
            stmt = (
                update(Briefing)
                .where(col(Briefing.id) == bid, col(Briefing.delivered_at).is_(None))
                .values(delivered_at=now)
            )
            if s.execute(stmt).rowcount:  # type: ignore[attr-defined]
                won.append(bid)
    return won


def release_delivery(engine: Engine, *, briefing_id: int) -> None:
    """Undo a claim whose push reached no session (it is then shown when the chat opens)."""
    with session_scope(engine) as s:
        stmt = update(Briefing).where(col(Briefing.id) == briefing_id).values(delivered_at=None)
        s.execute(stmt)


def briefing_on_open(
    engine: Engine, *, org_id: str, user_id: str, now: datetime
) -> BriefingNote | None:
    """The briefing a newly opened chat shows first, marking undelivered ones delivered.

    That is the latest ready briefing if it is of the user's local today or was never
    delivered; ``None`` if the latest one is older and was already delivered.
    """
    with session_scope(engine) as s:
        user = s.get(User, user_id)
        rows = briefings_for(s, org_id=org_id, user_id=user_id)
        if user is None or not rows:
            return None
        latest, today = rows[0], local_day(now, user.timezone)
        show = latest.day == today or latest.delivered_at is None
        note = BriefingNote.of(latest)
        undelivered = [r.id for r in rows if r.delivered_at is None and r.id is not None]
    claim_delivery(engine, briefing_ids=undelivered, now=now)
    return note if show else None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ChatBriefings:
    """Delivers briefings into connected chat sessions.

    Args:
        engine: The store.
        org_id: The org whose users sign in.
        send: Shows a briefing in one session (:func:`chainlit_send` in the app).
        registry: Connected sessions (a fresh one by default).
        clock: Time source for ``delivered_at`` and "today".
    """

    def __init__(
        self, engine: Engine, *, org_id: str, send: Send, registry: SessionRegistry | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:  # fmt: skip
        self.engine, self.org_id, self.send, self.clock = engine, org_id, send, clock
        self.registry = registry or SessionRegistry()
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open_session(self, session_id: str, user_id: str) -> BriefingNote | None:
        """Register a new chat session and show the briefing it should open with, if any."""
        self._loop = asyncio.get_running_loop()
        self.registry.add(session_id, user_id)
        note = await asyncio.to_thread(
            briefing_on_open, self.engine, org_id=self.org_id, user_id=user_id, now=self.clock()
        )
        if note is None or not self.registry.mark_shown(session_id, note.id):
            return None
        await self.send(session_id, note)
        return note

    def close_session(self, session_id: str) -> None:
        """Forget an ended session."""
        self.registry.remove(session_id)

    def on_ready(self, row: Briefing) -> None:
        """Scheduler callback (any thread): push a freshly stored briefing to its user."""
        loop, user_id = self._loop, row.user_id
        if loop is None or loop.is_closed():
            return  # no chat session was ever opened: nobody to push to
        # The registry belongs to the event loop; push_pending reads it there.
        loop.call_soon_threadsafe(lambda: loop.create_task(self.push_pending([user_id])))

    async def push_pending(self, user_ids: Iterable[str] | None = None) -> list[BriefingNote]:
        """Push every undelivered ready briefing of connected users; return those pushed."""
        self._loop = asyncio.get_running_loop()
        async with self._lock:
            wanted = self.registry.user_ids()
            if user_ids is not None:
                wanted &= set(user_ids)
            notes = await asyncio.to_thread(
                pending_briefings, self.engine, org_id=self.org_id, user_ids=wanted
            )
            pushed = []
            for note in notes:
                won = await asyncio.to_thread(
                    claim_delivery, self.engine, briefing_ids=[note.id], now=self.clock()
                )
                if not won:
                    continue  # another process delivered it
                targets = [
                    sid
                    for sid in self.registry.sessions_of(note.user_id)
                    if self.registry.mark_shown(sid, note.id)
                ]
                reached = [await self._send(sid, note) for sid in targets]
                if any(reached):
                    pushed.append(note)
                else:
                    await asyncio.to_thread(release_delivery, self.engine, briefing_id=note.id)
            return pushed

    async def _send(self, session_id: str, note: BriefingNote) -> bool:
        try:
            ok = await self.send(session_id, note)
        except Exception as exc:  # one broken session must not stop the others
            logger.warning("could not push briefing %s to session %s: %s", note.id, session_id, exc)
            ok = False
        if not ok:
            self.registry.remove(session_id)
        return ok

    async def run(self, stop: asyncio.Event, *, poll_s: float) -> None:
        """Poll for briefings other processes stored until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.push_pending()
            except Exception as exc:  # the store may be briefly locked; try again next poll
                logger.warning("briefing push failed: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll_s)
            except TimeoutError:
                pass


async def chainlit_send(session_id: str, note: BriefingNote) -> bool:
    """Send a briefing as a Keel message into a Chainlit websocket session, from any task.

    A background task has no Chainlit context, so the message is sent from a task with a
    fresh context bound to that session (``init_ws_context``), which leaves the caller's
    context (maybe another session's) untouched.
    """
    import chainlit as cl
    from chainlit.context import init_ws_context
    from chainlit.session import WebsocketSession

    session = WebsocketSession.get_by_id(session_id)
    if session is None:
        return False

    async def send() -> None:
        init_ws_context(session)
        await cl.Message(content=note.message(), author="Keel").send()  # type: ignore[no-untyped-call]

    await asyncio.create_task(send(), context=contextvars.Context())
    return True
