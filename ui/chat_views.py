# mypy: disable-error-code="no-untyped-call"
"""What the chat shows besides the streamed answer: tool steps, score cards, draft editors.

Async helpers over Chainlit elements, used by :mod:`ui.app`; the markdown and charts
themselves come from :mod:`ui.chat_render`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from ui.chat_render import deal_fields_figure, score_card_markdown, win_probability_figure

DRAFTS_KEY = "keel_drafts"


class ToolSteps:
    """Each tool call of a turn as a Chainlit step: inputs at start, result at the end."""

    def __init__(self) -> None:
        self._open: dict[str, cl.Step] = {}
        self._last: cl.Step | None = None

    async def start(self, call: dict[str, Any]) -> None:
        """Show a tool call as it starts, with its inputs."""
        step = cl.Step(
            name=str(call.get("name")), type="tool", show_input="json", default_open=False
        )
        step.input = json.dumps(call.get("args") or {}, ensure_ascii=False)
        await step.send()
        self._open[str(call.get("id"))] = step
        self._last = step

    async def stream(self, text: str) -> None:
        """Stream text a tool produces while running (a draft being written) into its step."""
        if self._last is not None:
            await self._last.stream_token(text)

    async def end(self, call: dict[str, Any]) -> None:
        """Show the tool's result and status."""
        step = self._open.pop(str(call.get("id")), None)
        if step is None:
            return
        step.output = f"[{call.get('status')}, {call.get('ms')} ms]\n{call.get('text', '')}"
        step.is_error = call.get("status") == "error"
        step.end = utc_now()
        await step.update()


async def send_score_card(call: dict[str, Any]) -> None:
    """Send the score card (eight dimensions, composite) and the win-probability chart."""
    data = call.get("data") or {}
    deal = str(data.get("deal") or call.get("deal_name") or "deal")
    card = data.get("card")
    fields = data.get("fields") or {}
    if card:
        content = score_card_markdown(card, deal)
        history = data.get("history") or []
        figure = win_probability_figure(history, fields, deal)
    else:
        content = f"### {deal}\n{call.get('text', '')}"
        figure = deal_fields_figure(fields, deal)
    chart = cl.Plotly(name="win_probability_chart", figure=figure, display="inline", size="large")
    await cl.Message(content=content, elements=[chart], author="Keel").send()


def draft_editor(call: dict[str, Any]) -> tuple[str, cl.CustomElement]:
    """Return the message text and editable element of a draft (its original is kept to diff)."""
    data = call.get("data") or {}
    draft_id = uuid.uuid4().hex
    drafts: dict[str, Any] = cl.user_session.get(DRAFTS_KEY) or {}
    drafts[draft_id] = {
        "text": data.get("draft", ""),
        "kind": data.get("kind", ""),
        "deal_id": call.get("deal_id"),
    }
    cl.user_session.set(DRAFTS_KEY, drafts)
    title = str(data.get("title", "draft"))
    editor = cl.CustomElement(
        name="DraftEditor",
        props={"draft_id": draft_id, "text": data.get("draft", ""), "title": f"Your {title}"},
        display="inline",
    )
    text = (
        f"Here is a {title} for {call.get('deal_name')}. Edit it below and send it back: "
        f"I keep your changes to learn how you write.\n\n{data.get('preference_note', '')} "
        f"{data.get('pattern_note', '')}"
    )
    return text.strip(), editor


def score_card_action(call: dict[str, Any]) -> cl.Action:
    """A button under a deal answer that opens its score card."""
    return cl.Action(
        name="score_card",
        payload={"deal_id": call.get("deal_id"), "deal": call.get("deal_name")},
        label="Score card",
        tooltip="Show the eight dimensions and the win-probability chart",
    )
