"""The chat in a real browser: headless Chromium (Playwright) against a live ``keel serve``.

One flow on a fresh demo org (``keel demo --reps 3 --deals 40``) with the embedded model:
log in, ask about a deal, see the tool step, open the score card and its chart, ask for a
draft, edit it and send it back (the diff is stored), log out; then a rep of another team
asks about the same deal and learns nothing about it. Every non-loopback request is
aborted; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from memory.asof import pipeline_as_of
from memory.db import make_engine, session_scope, utcnow
from memory.feedback_store import list_feedback
from memory.models import Account, User
from memory.settings import MemorySettings
from tests.integration.browser_kit import (
    ask,
    demo_env,
    login,
    need_chromium,
    open_page,
    seed_demo,
    serving,
    shot,
)

pytestmark = pytest.mark.integration

ANSWER_TIMEOUT_MS = 300_000  # the embedded model on 2 shared cores


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    need_chromium()
    home = tmp_path_factory.mktemp("keel-home")
    env = demo_env(home)
    seed_demo(env)
    with serving(env, home) as (url, _log):
        yield {"url": url, "home": home, "engine": make_engine(settings=MemorySettings(home=home))}


def _cast(engine: Any) -> tuple[User, User, str, str]:
    """A rep with an open deal, that deal's account name, and a rep of another team."""
    with session_scope(engine) as session:
        users = list(session.query(User).filter(User.role == "rep"))  # type: ignore[arg-type]
        open_deals = pipeline_as_of(session, org_id="demo", as_of=utcnow())
        for rep in users:
            mine = [d for d in open_deals if d.owner_id == rep.id]
            other = next((u for u in users if u.team != rep.team), None)
            if mine and other is not None:
                account = session.get(Account, mine[0].account_id)
                assert account is not None
                return rep, other, account.name, mine[0].name
    pytest.skip("the demo org has no rep with an open deal and a rep on another team")


def test_chat_in_the_browser(server: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    url, engine = server["url"], server["engine"]
    rep, outsider, account, deal_name = _cast(engine)
    with sync_playwright() as p:
        page = open_page(p)
        login(page, url, rep.email)
        shot(page, "chat-1-signed-in")

        ask(page, f"What's the status of the {account} deal?")
        try:
            page.wait_for_selector('[data-step-type="tool"]', timeout=ANSWER_TIMEOUT_MS)
        finally:
            shot(page, "chat-1b-asked")
        score_button = page.get_by_role("button", name="Score card")
        score_button.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert "lookup_deal" in page.locator('[data-step-type="tool"]').first.inner_text()
        answer = page.locator(
            '[data-step-type="assistant_message"] .message-content'
        ).last.inner_text()
        assert answer.strip()
        shot(page, "chat-2-deal-answer")

        score_button.click()
        page.wait_for_selector(".js-plotly-plot", timeout=120_000)
        assert "Score card" in page.content() or "no score" in page.content()
        shot(page, "chat-3-score-card")

        ask(page, f"Draft a follow-up email for the {account} deal")
        editor = page.locator("#keel-draft-text")
        editor.wait_for(timeout=ANSWER_TIMEOUT_MS)
        original = editor.input_value()
        assert original.strip()
        editor.fill(original + "\n\nP.S. Happy to set up a call with our CFO.")
        page.click("#keel-draft-send")
        page.get_by_text("Saved your edit").wait_for(timeout=60_000)
        shot(page, "chat-4-draft-edited")
        with session_scope(engine) as session:
            edits = list_feedback(session, org_id="demo", user_id=rep.id, kind="draft_edit")
        assert edits and "+P.S. Happy to set up a call with our CFO." in edits[-1].payload["diff"]

        page.click("#user-nav-button")
        page.get_by_text("Logout").click()
        page.wait_for_selector("#email", timeout=30_000)
        shot(page, "chat-5-logged-out")

        login(page, url, outsider.email)
        ask(page, f"What's the status of the {account} deal?")
        reply = page.locator('[data-step-type="assistant_message"] .message-content').last
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-step-type=\"assistant_message\"] .message-content')]"
            ".some(e => /can't|cannot|only/i.test(e.innerText))",
            timeout=ANSWER_TIMEOUT_MS,
        )
        text = page.locator("body").inner_text()
        assert deal_name not in text and rep.name not in text
        assert reply.inner_text().strip()
        shot(page, "chat-6-other-rep-refused")
        page.context.browser.close()
