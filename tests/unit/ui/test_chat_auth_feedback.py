from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from agent.feedback import StoreFeedback, draft_diff
from memory.auth_store import (
    DEMO_PASSWORD,
    UserCredential,
    authenticate,
    create_auth_tables,
    hash_password,
    seed_passwords,
    set_password,
    verify_password,
)
from memory.db import create_schema, make_engine, session_scope
from memory.feedback_store import create_feedback_tables, list_feedback, record_feedback
from tests.unit.tools.world import ORG, seed
from tools.context import Viewer


@pytest.fixture
def store() -> Engine:
    engine = make_engine("sqlite://")
    create_schema(engine)
    create_auth_tables(engine)
    create_feedback_tables(engine)
    seed(engine)
    return engine


def test_hash_is_salted_scrypt_and_verifies() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert verify_password("correct horse", a) and not verify_password("wrong horse", a)
    assert not verify_password("x", "not-a-hash") and not verify_password("x", "bcrypt$1$2$3$4$5")


@pytest.mark.parametrize("bad", ["short", "x" * 2000])
def test_out_of_bounds_passwords_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        hash_password(bad)


def test_demo_passwords_are_seeded_once_and_authenticate(store: Engine) -> None:
    with session_scope(store) as session:
        assert seed_passwords(session, org_id=ORG) == 5
        assert seed_passwords(session, org_id=ORG) == 0
    with session_scope(store) as session:
        user = authenticate(session, login="R1@X.TEST ", password=DEMO_PASSWORD)
        assert user is not None and user.id == "r1"
        assert authenticate(session, login="r1@x.test", password="wrong-password") is None
        assert authenticate(session, login="nobody@x.test", password=DEMO_PASSWORD) is None
        stored = session.get(UserCredential, "r1")
        assert stored is not None and DEMO_PASSWORD not in stored.password_hash


def test_set_password_replaces_the_old_one(store: Engine) -> None:
    with session_scope(store) as session:
        set_password(session, user_id="r2", password="first-password")
        set_password(session, user_id="r2", password="second-password")
    with session_scope(store) as session:
        assert authenticate(session, login="r2@x.test", password="first-password") is None
        assert authenticate(session, login="r2@x.test", password="second-password") is not None
        with pytest.raises(LookupError):
            set_password(session, user_id="ghost", password="whatever-123")


def test_draft_diff_counts_changed_lines() -> None:
    details = draft_diff(
        "Hi Bea,\nThanks for the call.\nBest,\nRita",
        "Hi Bea,\nThanks for your time today.\nCheers,\nRita",
    )
    assert details["changed_lines"] == 4 and "-Thanks for the call." in details["diff"]
    assert 0 < details["similarity"] < 1 and not details["truncated"]


def test_edited_draft_is_stored_with_its_diff_and_unchanged_is_not(store: Engine) -> None:
    viewer = Viewer(user_id="r1", org_id=ORG, name="Rita Reyes", role="rep")
    sink = StoreFeedback(store)
    saved, details = sink.record_draft_edit(
        viewer,
        original="Hello Bea,\nRegards",
        edited="Hi Bea,\nCheers",
        draft_kind="follow_up_email",
        thread_id="t",
    )
    unchanged, _ = sink.record_draft_edit(
        viewer, original="Same", edited="Same ", draft_kind="call_prep"
    )
    assert saved is not None and unchanged is None
    with session_scope(store) as session:
        [row] = list_feedback(session, org_id=ORG, kind="draft_edit")
    assert row.text == "Hi Bea,\nCheers" and row.payload["original"] == "Hello Bea,\nRegards"
    assert row.payload["diff"] == details["diff"] and "+Hi Bea," in row.payload["diff"]


def test_learner_errors_never_lose_feedback(store: Engine) -> None:
    class Broken:
        def on_feedback(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("learner down")

    viewer = Viewer(user_id="r1", org_id=ORG, name="Rita Reyes", role="rep")
    StoreFeedback(store, learner=Broken()).record(viewer, kind="thumbs_down", text="wrong amount")
    with session_scope(store) as session:
        assert [r.text for r in list_feedback(session, org_id=ORG)] == ["wrong amount"]


def test_unknown_feedback_kind_is_rejected(store: Engine) -> None:
    with session_scope(store) as session, pytest.raises(ValueError):
        record_feedback(session, org_id=ORG, user_id="r1", kind="love_letter", text="x")
