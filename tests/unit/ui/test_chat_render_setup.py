from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from ui.chat_render import deal_fields_figure, score_card_markdown, win_probability_figure
from ui.chat_setup import auth_secret, launcher, prepare_app_root
from ui.offline import StripRemoteAssets, strip_remote_links

CARD = {
    "win_probability": 0.42,
    "confidence": 0.7,
    "model_version": "m3",
    "as_of": "2026-04-10T00:00:00+00:00",
    "dimensions": [
        {
            "name": f"dim{i}",
            "score": 10.0 * i,
            "confidence": 0.5,
            "drivers": ["a | b"],
            "explanation": "",
        }
        for i in range(8)
    ],
}
FIELDS = {
    "stage": [["2026-01-02", "discovery"], ["2026-03-01", "proposal"]],
    "amount": [["2026-01-02", 100.0], ["2026-04-01", 120.0]],
    "close_date": [["2026-01-02", "2026-03-15"]],
}


def test_score_card_has_composite_and_eight_dimensions() -> None:
    md = score_card_markdown(CARD, "Acme renewal")
    assert "Win probability 42%" in md and "confidence 70%" in md
    rows = [
        line for line in md.splitlines() if line.startswith("| dim") and "dimension" not in line
    ]
    assert len(rows) == 8 and "a / b" in rows[0]  # table-breaking pipes are escaped


def test_charts_mark_the_events_that_moved_the_deal() -> None:
    fig = win_probability_figure([("2026-02-01", 0.3), ("2026-04-01", 0.42)], FIELDS, "Acme")
    assert isinstance(fig, go.Figure) and list(fig.data[0].y) == [30.0, 42.0]
    labels = [a.text for a in fig.layout.annotations]
    assert "stage: discovery → proposal" in labels and "amount: 100.0 → 120.0" in labels
    assert len(deal_fields_figure(FIELDS, "Acme").layout.annotations) == 2


def test_app_root_is_generated_without_remote_fonts(tmp_path: Path) -> None:
    root = prepare_app_root(tmp_path)
    config = (root / ".chainlit" / "config.toml").read_text()
    assert 'name = "Keel"' in config and "edit_message = false" in config
    assert json.loads((root / "public" / "theme.json").read_text()) == {"custom_fonts": []}
    jsx = (root / "public" / "elements" / "DraftEditor.jsx").read_text()
    assert "callAction" in jsx and "draft_edited" in jsx and "keel-draft-send" in jsx
    assert "from ui.app import" in launcher(root).read_text()
    assert prepare_app_root(tmp_path) == root  # idempotent


def test_auth_secret_is_stable_and_private(tmp_path: Path) -> None:
    first = auth_secret(tmp_path)
    assert len(first) >= 40 and auth_secret(tmp_path) == first
    assert ((tmp_path / "chainlit" / ".auth_secret").stat().st_mode & 0o077) == 0


def test_remote_links_are_stripped_from_html() -> None:
    html = (
        b'<link rel="preconnect" href="https://fonts.googleapis.com" />'
        b'<link href="https://cdn.jsdelivr.net/npm/katex.min.css" rel="stylesheet"/>'
        b'<link rel="stylesheet" href="/assets/index.css">'
    )
    assert strip_remote_links(html) == b'<link rel="stylesheet" href="/assets/index.css">'


def test_middleware_rewrites_html_and_passes_other_responses() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        kind = b"text/html; charset=utf-8" if scope["path"] == "/" else b"application/json"
        body = (
            b'<link href="https://x.test/f.css" rel="stylesheet"><p>hi</p>'
            if scope["path"] == "/"
            else b"{}"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def call(path: str) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await StripRemoteAssets(app)({"type": "http", "path": path}, None, send)
        return sent

    html = asyncio.run(call("/"))
    assert html[1]["body"] == b"<p>hi</p>" and (b"content-length", b"9") in html[0]["headers"]
    assert asyncio.run(call("/api"))[1]["body"] == b"{}"
