"""Scheduler: local-morning timing with an injected clock, and no double briefing."""

from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import select

from agent.briefing import BriefingDoc
from memory.briefing_store import Briefing, PatternVersion, briefings_for, create_briefing_tables
from memory.db import create_schema, make_engine, session_scope
from memory.ingest import ingest
from tests import factories as f
from ui.scheduler import BriefingScheduler


class FakeClock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _store(url):
    engine = make_engine(url)
    create_schema(engine)
    create_briefing_tables(engine)
    return engine


def _seed(engine):
    with session_scope(engine) as s:
        ingest(
            s,
            orgs=[f.org()],
            users=[
                f.user(uid="ny", timezone="America/New_York"),
                f.user(uid="hel", timezone="Europe/Helsinki"),
                f.user(uid="boss", role="manager", timezone="Europe/London"),
            ],
        )


def _make(calls):
    def make(session, user, day):
        calls.append((user.id, day))
        return BriefingDoc(user.id, day, "rep", f"Good morning {user.name}: all quiet.")

    return make


@pytest.fixture
def engine():
    e = _store("sqlite://")
    _seed(e)
    return e


def test_briefs_each_user_at_their_local_morning(engine):
    calls = []
    clock = FakeClock(datetime(2026, 3, 2, 5, 30, tzinfo=UTC))  # 07:30 Helsinki, 00:30 NY
    sched = BriefingScheduler(engine, org_id="acme", make_doc=_make(calls), clock=clock)
    sent = sched.run_due()
    assert [b.day for b in sent] == ["2026-03-02"]
    assert calls == [(sent[0].user_id, "2026-03-02")]
    assert sent[0].user_id == "hel"
    clock.now = datetime(2026, 3, 2, 12, 5, tzinfo=UTC)  # 07:05 NY, 12:05 London
    later = sched.run_due()
    assert len(later) == 2  # NY rep and the London manager; Helsinki not again
    assert {b.kind for b in later} == {"rep", "team"}
    assert sched.run_due() == []  # same day again: nothing
    clock.now = datetime(2026, 3, 3, 5, 30, tzinfo=UTC)
    assert len(sched.run_due()) == 1  # next day Helsinki again


def test_two_schedulers_never_double_send(tmp_path):
    url = f"sqlite:///{tmp_path / 'keel.db'}"
    a_engine, b_engine = _store(url), _store(url)
    _seed(a_engine)
    clock = FakeClock(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))  # everyone's morning has passed
    calls = []
    a = BriefingScheduler(a_engine, org_id="acme", make_doc=_make(calls), clock=clock, instance="a")
    b = BriefingScheduler(b_engine, org_id="acme", make_doc=_make(calls), clock=clock, instance="b")
    sent = a.run_due() + b.run_due() + a.run_due()
    assert len(sent) == 3
    with session_scope(b_engine) as s:
        rows = list(s.scalars(select(Briefing)))
    assert len(rows) == 3 and all(r.status == "ready" for r in rows)
    assert len(calls) == 3  # the losing scheduler never even composed


def test_ready_briefing_is_found_when_the_rep_opens_the_chat(engine):
    sched = BriefingScheduler(
        engine,
        org_id="acme",
        make_doc=_make([]),
        clock=FakeClock(datetime(2026, 3, 2, 13, 0, tzinfo=UTC)),
    )
    pushed = []
    sched.on_ready = pushed.append
    sched.run_due()
    assert len(pushed) == 3
    with session_scope(engine) as s:
        shown = briefings_for(s, org_id="acme", user_id=pushed[0].user_id)
    assert shown and shown[0].text.startswith("Good morning")


async def test_install_adds_a_cron_job_per_user_in_their_timezone(engine):
    sched = BriefingScheduler(engine, org_id="acme", make_doc=_make([]))
    aps = AsyncIOScheduler(timezone="UTC")
    sched.install(aps)
    jobs = {j.id: j for j in aps.get_jobs()}
    assert len(jobs) == 4  # three users + the catch-up pass
    zones = sorted(str(j.trigger.timezone) for j in jobs.values() if j.id.startswith("briefing:"))
    assert zones == ["America/New_York", "Europe/Helsinki", "Europe/London"]
    aps.start(paused=True)
    nxt = {
        str(j.trigger.timezone): j.next_run_time
        for j in aps.get_jobs()
        if j.id.startswith("briefing:")
    }
    assert all(t.hour == 7 and t.minute == 0 for t in nxt.values())
    aps.shutdown(wait=False)


def test_pattern_versions_are_stored_once_and_latest_is_read(engine):
    from memory.briefing_store import latest_patterns, save_patterns

    doc = {"org_id": "acme", "version": "p1-a", "closed_deals": 10, "tests": 3,
           "patterns": [{"significant": True}, {"significant": False}]}  # fmt: skip
    with session_scope(engine) as s:
        save_patterns(s, report=doc, now=datetime(2026, 1, 1, tzinfo=UTC))
        save_patterns(s, report=doc, now=datetime(2026, 1, 2, tzinfo=UTC))
        save_patterns(s, report={**doc, "version": "p1-b"}, now=datetime(2026, 1, 3, tzinfo=UTC))
    with session_scope(engine) as s:
        latest = latest_patterns(s, org_id="acme")
        assert latest is not None and latest.version == "p1-b" and latest.significant == 1
        assert len(list(s.scalars(select(PatternVersion)))) == 2
    with pytest.raises(ValueError, match="org_id"):
        with session_scope(engine) as s:
            save_patterns(s, report={"version": "x"}, now=datetime(2026, 1, 1, tzinfo=UTC))
