"""Two scheduler processes racing on PostgreSQL never send a rep two briefings a day."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from agent.briefing import BriefingDoc
from memory.briefing_store import Briefing, create_briefing_tables
from memory.db import make_engine, session_scope
from memory.ingest import ingest
from tests import factories as f
from ui.scheduler import BriefingScheduler

pytestmark = pytest.mark.integration


def test_racing_schedulers_send_each_briefing_once(pg_engine: Engine) -> None:
    create_briefing_tables(pg_engine)
    users = [f.user(uid=f"u{i}", timezone="Europe/London") for i in range(20)]
    with session_scope(pg_engine) as s:
        ingest(s, orgs=[f.org()], users=users)
    url = pg_engine.url.render_as_string(hide_password=False)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    composed: list[str] = []
    lock = threading.Lock()

    def make(session, user, day):  # type: ignore[no-untyped-def]
        time.sleep(0.01)  # widen the race window
        with lock:
            composed.append(user.id)
        return BriefingDoc(user.id, day, "rep", "all quiet")

    engines = [make_engine(url) for _ in range(3)]
    scheds = [BriefingScheduler(e, org_id="acme", make_doc=make, clock=lambda: now, instance=f"p{i}")
              for i, e in enumerate(engines)]  # fmt: skip
    threads = [threading.Thread(target=s.run_due) for s in scheds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with session_scope(pg_engine) as s:
        rows = list(s.scalars(select(Briefing)))
    assert len(rows) == 20
    assert sorted(composed) == sorted(u["id"] for u in users)  # each composed exactly once
    assert len({r.claimed_by for r in rows}) >= 1
    for e in engines:
        e.dispose()
