"""Briefings in the live chat: session registry, push once per briefing, show on open."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from agent.briefing import BriefingDoc
from memory.briefing_store import Briefing, create_briefing_tables
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from memory.settings import MemorySettings
from tests import factories as f
from ui.chat_briefings import BriefingNote, ChatBriefings, SessionRegistry, pending_briefings
from ui.cli import build_app
from ui.scheduler import BriefingScheduler

NOW = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # every seeded user's morning has passed


class FakeChat:
    """Records what each session was sent; sessions in ``gone`` have disconnected."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, BriefingNote]] = []
        self.gone: set[str] = set()

    async def __call__(self, session_id: str, note: BriefingNote) -> bool:
        if session_id in self.gone:
            return False
        self.sent.append((session_id, note))
        return True

    def to(self, session_id: str) -> list[str]:
        return [n.day for sid, n in self.sent if sid == session_id]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    # A file, not "sqlite://": the scheduler's thread and the event loop each need their own
    # connection (the in-memory database is one connection shared by every thread).
    engine = make_engine(f"sqlite:///{tmp_path / 'keel.db'}")
    create_schema(engine)
    create_briefing_tables(engine)
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[f.org()],
            users=[f.user(uid="ann", timezone="Europe/London"), f.user(uid="bob")],
        )
    yield engine
    engine.dispose()


def _ready(engine: Engine, user_id: str, day: str, *, delivered: bool = False) -> int:
    with session_scope(engine) as s:
        row = Briefing(org_id="acme", user_id=user_id, day=day, status="ready",
                       created_at=NOW, delivered_at=NOW if delivered else None,
                       text=f"Good morning: {day}")  # fmt: skip
        s.add(row)
        s.flush()
        assert row.id is not None
        return row.id


def _delivered_at(engine: Engine, briefing_id: int) -> datetime | None:
    with session_scope(engine) as s:
        row = s.get(Briefing, briefing_id)
        assert row is not None
        return row.delivered_at


def _chat(engine: Engine, fake: FakeChat) -> ChatBriefings:
    return ChatBriefings(engine, org_id="acme", send=fake, clock=lambda: NOW)


def test_registry_tracks_sessions_per_user_and_what_each_was_shown() -> None:
    reg = SessionRegistry()
    reg.add("s1", "ann")
    reg.add("s2", "ann")
    reg.add("s3", "bob")
    assert sorted(reg.sessions_of("ann")) == ["s1", "s2"] and reg.user_ids() == {"ann", "bob"}
    assert reg.mark_shown("s1", 7) is True
    assert reg.mark_shown("s1", 7) is False  # once per session
    reg.add("s1", "ann")  # re-registering (a reconnect) keeps what it was shown
    assert reg.mark_shown("s1", 7) is False
    reg.remove("s1")
    assert reg.sessions_of("ann") == ["s2"] and reg.mark_shown("s1", 8) is False


async def test_push_reaches_every_open_session_of_the_user_once(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    for sid, uid in [("a1", "ann"), ("a2", "ann"), ("b1", "bob")]:
        chat.registry.add(sid, uid)
    bid = _ready(store, "ann", "2026-03-02")
    pushed = await chat.push_pending()
    assert [n.id for n in pushed] == [bid]
    assert fake.to("a1") == fake.to("a2") == ["2026-03-02"] and fake.to("b1") == []
    assert _delivered_at(store, bid) is not None
    assert await chat.push_pending() == [] and len(fake.sent) == 2
    assert "**Morning briefing, 2026-03-02**" in fake.sent[0][1].message()


async def test_nobody_connected_leaves_the_briefing_for_the_next_open(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    chat.registry.add("b1", "bob")
    bid = _ready(store, "ann", "2026-03-02")
    assert await chat.push_pending() == [] and fake.sent == []
    assert _delivered_at(store, bid) is None
    assert [n.id for n in pending_briefings(store, org_id="acme", user_ids=["ann"])] == [bid]


async def test_a_push_no_session_received_is_released(store: Engine) -> None:
    fake = FakeChat()
    fake.gone.add("a1")
    chat = _chat(store, fake)
    chat.registry.add("a1", "ann")
    bid = _ready(store, "ann", "2026-03-02")
    assert await chat.push_pending() == []
    assert _delivered_at(store, bid) is None  # still waiting for the next open
    assert chat.registry.sessions_of("ann") == []  # the dead session was dropped


async def test_a_briefing_another_process_delivered_is_not_pushed(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    chat.registry.add("a1", "ann")
    _ready(store, "ann", "2026-03-02", delivered=True)
    assert await chat.push_pending() == [] and fake.sent == []


async def test_open_shows_todays_briefing_once_per_session(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    _ready(store, "ann", "2026-03-01", delivered=True)
    today = _ready(store, "ann", "2026-03-02", delivered=True)  # pushed earlier, another tab
    note = await chat.open_session("a1", "ann")
    assert note is not None and note.id == today and fake.to("a1") == ["2026-03-02"]
    assert await chat.open_session("a1", "ann") is None  # same session: not again
    assert await chat.open_session("a2", "ann") is not None  # a new chat opens with it too
    assert len(fake.sent) == 2


async def test_open_after_time_away_shows_only_the_latest_undelivered(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    older = _ready(store, "ann", "2026-02-27")
    latest = _ready(store, "ann", "2026-02-28")
    note = await chat.open_session("a1", "ann")
    assert note is not None and note.id == latest
    assert _delivered_at(store, older) is not None  # superseded, not replayed
    assert await chat.push_pending() == [] and fake.to("a1") == ["2026-02-28"]


async def test_open_does_not_repeat_an_old_briefing_already_delivered(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    _ready(store, "ann", "2026-02-27", delivered=True)
    assert await chat.open_session("a1", "ann") is None and fake.sent == []
    assert chat.registry.sessions_of("ann") == ["a1"]  # still receives live pushes


async def test_scheduler_on_ready_from_its_thread_pushes_into_the_open_chat(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    await chat.open_session("a1", "ann")  # nothing yet today
    assert fake.sent == []

    def make(session: object, user: object, day: str) -> BriefingDoc:
        uid = getattr(user, "id", "")
        return BriefingDoc(uid, day, "rep", f"Good morning {uid}: all quiet.")

    sched = BriefingScheduler(store, org_id="acme", make_doc=make, clock=lambda: NOW,  # type: ignore[arg-type]
                              on_ready=chat.on_ready)  # fmt: skip
    sent = await asyncio.to_thread(sched.run_due)  # APScheduler runs jobs in a thread too
    assert sorted(b.user_id for b in sent) == ["ann", "bob"]
    for _ in range(100):
        if fake.sent:
            break
        await asyncio.sleep(0.02)
    assert [(sid, n.user_id, n.text) for sid, n in fake.sent] == [
        ("a1", "ann", "Good morning ann: all quiet.")
    ]
    assert [n.user_id for n in pending_briefings(store, org_id="acme", user_ids=["bob"])] == ["bob"]


async def test_run_polls_until_stopped(store: Engine) -> None:
    fake = FakeChat()
    chat = _chat(store, fake)
    chat.registry.add("a1", "ann")
    stop = asyncio.Event()
    task = asyncio.create_task(chat.run(stop, poll_s=0.02))
    _ready(store, "ann", "2026-03-02")  # stored by "another process" while running
    for _ in range(100):
        if fake.sent:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, timeout=2)
    assert fake.to("a1") == ["2026-03-02"]


def test_brief_deliver_stores_the_days_briefing_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEEL_HOME", str(tmp_path))
    monkeypatch.delenv("KEEL_DATABASE_URL", raising=False)
    runner, app = CliRunner(), build_app()
    seeded = runner.invoke(app, ["demo", "--reps", "3", "--deals", "30", "--json"])
    assert seeded.exit_code == 0, seeded.output
    args = ["brief", "--rep", "U003", "--date", "2026-03-02", "--deliver", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.stdout)
    assert doc["delivered"] is True and doc["day"] == "2026-03-02"
    assert doc["text"].startswith("Good morning")
    again = runner.invoke(app, args)
    assert again.exit_code != 0 and "already delivered" in again.stderr
    engine = make_engine(settings=MemorySettings(home=tmp_path))
    with session_scope(engine) as s:
        rows = [r for r in s.query(Briefing) if r.day == "2026-03-02"]
    assert len(rows) == 1 and rows[0].status == "ready" and rows[0].delivered_at is None
