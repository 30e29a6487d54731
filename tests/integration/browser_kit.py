"""Shared pieces of the browser tests: a live ``keel serve`` on a demo org, and Chromium.

Every non-loopback request is aborted (the machine has no internet and the chat must not
need it); screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from memory.auth_store import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KEEL = str(Path(sys.executable).with_name("keel"))
LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


def need_chromium() -> None:
    """Skip the test when Debian's Chromium is missing (``make browser`` installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _model_path() -> str | None:
    """The already assembled default model, so the test home does not copy 1 GB again."""
    try:
        from agent.chat_models import ChatModelFactory
        from agent.settings import AgentSettings

        return str(ChatModelFactory(AgentSettings()).model_file().path)
    except Exception:
        return None


def demo_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a Keel whose home is ``home`` (no KEEL_/CHAINLIT_ leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEEL_", "CHAINLIT_"))}
    env |= {"KEEL_HOME": str(home), **extra}
    model = _model_path()
    if model:
        env["KEEL_LLM_MODEL"] = model
    return env


def seed_demo(env: dict[str, str], *, reps: int = 3, deals: int = 40) -> None:
    """``keel demo`` into the env's home."""
    subprocess.run(
        [KEEL, "demo", "--reps", str(reps), "--deals", str(deals), "--json"],
        env=env,
        check=True,
        capture_output=True,
    )


def wait_for(what: str, check: Callable[[], Any], timeout: float, log: Path) -> Any:
    """Poll ``check`` until it returns something truthy; fail with the server log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}; server log:\n{log.read_text()[-3000:]}")


@contextmanager
def serving(env: dict[str, str], home: Path) -> Iterator[tuple[str, Path]]:
    """Run ``keel serve`` until the block ends; yields its URL and log file."""
    port = _free_port()
    log_path = home / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [KEEL, "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/auth/config", timeout=2) as r:
                return bool(json.load(r)["requireLogin"])
        except OSError:
            return False

    try:
        wait_for("keel serve to start", up, 90, log_path)
        yield url, log_path
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def open_page(playwright: Any) -> Any:
    """A new Chromium page that can reach only loopback addresses."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(LOOPBACK) else route.abort()
        ),
    )
    return context.new_page()


def login(page: Any, url: str, email: str) -> None:
    """Sign in with a demo user's email and the demo password."""
    page.goto(url)
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#chat-input", timeout=60_000)


def ask(page: Any, text: str) -> None:
    """Send a message once the chat takes it, and wait until it shows in the thread.

    Text typed before the chat's socket connects never reaches the composer's state (the
    send button stays disabled), and a message sent while the chat is still starting (the
    briefing shown on open) is dropped; so type until the button enables, send, and send
    again if the message did not appear.
    """
    sent = page.locator('[data-step-type="user_message"]', has_text=text[:40])
    before = sent.count()
    deadline = time.monotonic() + 120
    while True:
        page.fill("#chat-input", "")
        page.fill("#chat-input", text)
        try:
            page.wait_for_selector("#chat-submit:not([disabled])", timeout=3_000)
            page.press("#chat-input", "Enter")
            page.wait_for_function(
                "([sel, text, n]) => [...document.querySelectorAll(sel)]"
                ".filter(e => e.innerText.includes(text)).length > n",
                arg=['[data-step-type="user_message"]', text[:40], before],
                timeout=5_000,
            )
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: not taken yet
            if time.monotonic() > deadline:
                raise


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot as ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
