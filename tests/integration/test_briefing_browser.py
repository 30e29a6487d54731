"""Background services of ``keel serve`` in a real browser: the worker, briefings in the chat.

A fresh demo org (``keel demo --reps 3 --deals 40``) with one account marked dirty, then
``keel serve`` with the briefing hour at 00:00 (everyone's morning has passed): the
in-process cascade worker drains the queue, the scheduler's start-up catch-up stores
today's briefings, a rep who signs in finds today's briefing at the top of the chat, and a
briefing stored while the rep is connected (``keel brief --deliver`` from another process)
appears in the open page without a reload. Every non-loopback request is aborted;
screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from agent.briefing import local_day
from memory.briefing_store import Briefing
from memory.db import make_engine, session_scope, utcnow
from memory.models import Account, User
from memory.queue import mark_dirty, pending
from memory.settings import MemorySettings
from tests.integration.browser_kit import (
    KEEL,
    demo_env,
    login,
    need_chromium,
    open_page,
    seed_demo,
    serving,
    shot,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    need_chromium()
    home = tmp_path_factory.mktemp("keel-home")
    env = demo_env(home, KEEL_BRIEFING_HOUR="0", KEEL_BRIEFING_POLL_S="1")
    seed_demo(env)
    engine = make_engine(settings=MemorySettings(home=home))
    with session_scope(engine) as session:  # work only the in-app worker can do
        account = session.scalars(select(Account).where(Account.org_id == "demo")).first()  # type: ignore[arg-type]
        assert account is not None
        mark_dirty(session, "demo", [f"account:{account.id}"])
    with serving(env, home) as (url, log):
        yield {"url": url, "home": home, "engine": engine, "env": env, "log": log}


def _todays_briefing(engine: Any) -> tuple[User, str] | None:
    """A rep whose briefing of today the scheduler has stored, and that day."""
    with session_scope(engine) as session:
        for rep in session.scalars(select(User).where(User.role == "rep")):  # type: ignore[arg-type]
            today = local_day(utcnow(), rep.timezone)
            query = select(Briefing).where(Briefing.user_id == rep.id, Briefing.day == today)  # type: ignore[arg-type]
            row = session.scalars(query).first()
            if row is not None and row.status == "ready":
                session.expunge(rep)
                return rep, today
    return None


def _message_with(page: Any, text: str, timeout_ms: int) -> str:
    body = page.get_by_text(text, exact=False).first
    body.wait_for(timeout=timeout_ms)
    return str(page.locator("body").inner_text())


def test_worker_runs_and_briefings_reach_the_chat(server: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    url, engine, log = server["url"], server["engine"], server["log"]

    def drained() -> bool:
        with session_scope(engine) as session:
            return pending(session, org_id="demo") == 0

    wait_for("the in-app cascade worker to drain the queue", drained, 60, log)
    rep, today = wait_for(
        "the start-up catch-up briefing", lambda: _todays_briefing(engine), 90, log
    )

    with sync_playwright() as p:
        page = open_page(p)
        login(page, url, rep.email)

        text = _message_with(page, f"Morning briefing, {today}", 30_000)
        assert f"Good morning {rep.name.split()[0]}" in text
        shot(page, "briefing-1-on-open")

        yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
        assert f"Morning briefing, {yesterday}" not in text
        out = subprocess.run(
            [KEEL, "brief", "--rep", rep.email, "--date", yesterday, "--deliver", "--json"],
            env=server["env"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["delivered"] is True
        text = _message_with(page, f"Morning briefing, {yesterday}", 30_000)  # no reload
        assert text.index(f"Morning briefing, {today}") < text.index(
            f"Morning briefing, {yesterday}"
        )  # pushed below what was already there
        shot(page, "briefing-2-pushed-live")
        page.context.browser.close()

    with session_scope(engine) as session:
        rows = session.scalars(select(Briefing).where(Briefing.user_id == rep.id)).all()  # type: ignore[arg-type]
        delivered = {r.day: r.delivered_at is not None for r in rows}
    assert delivered == {today: True, yesterday: True}
