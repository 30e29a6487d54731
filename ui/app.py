# mypy: disable-error-code="no-untyped-call,untyped-decorator"
"""The Keel chat (Chainlit): sign-in, streamed answers, tool steps, score cards, drafts, feedback.

A thin adapter: the Chainlit thread id is the LangGraph thread id, each turn streams through
:func:`agent.turn.astream_turn`, and everything else (store, model, scorer, feedback) comes
from one :class:`ui.chat_runtime.ChatRuntime` built at startup. The same process runs the
background services (``KEEL_WORKER=0`` / ``KEEL_SCHEDULER=0`` turn them off): one cascade
worker task and the morning-briefing scheduler, whose briefings
:class:`ui.chat_briefings.ChatBriefings` pushes into open chats. Run it with ``keel serve``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import chainlit as cl
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.server import app as chainlit_app
from chainlit.types import Feedback, ThreadDict

from agent.cascade.worker import run_workers
from agent.checkpointing import open_async_checkpointer
from agent.graph import compile_graph
from agent.turn import astream_turn
from memory.auth_store import authenticate
from memory.briefing_store import create_briefing_tables
from memory.db import session_scope
from memory.settings import MemorySettings
from tools.registry import call_tool
from ui.chat_briefings import ChatBriefings, chainlit_send
from ui.chat_history import create_history_tables, history_urls, step_output
from ui.chat_runtime import ChatRuntime
from ui.chat_views import (
    DRAFTS_KEY,
    ToolSteps,
    draft_editor,
    score_card_action,
    send_score_card,
)
from ui.commands.worker import make_context
from ui.offline import StripRemoteAssets
from ui.scheduler import BriefingScheduler, store_make_doc
from ui.settings import UISettings

logger = logging.getLogger("keel.chat")

MEMORY = MemorySettings()
HISTORY_SYNC_URL, HISTORY_ASYNC_URL = history_urls(MEMORY)
chainlit_app.add_middleware(StripRemoteAssets)


@dataclass
class Services:
    """What the app builds once at startup."""

    runtime: ChatRuntime
    graph: Any
    stack: AsyncExitStack
    briefings: ChatBriefings


_services: list[Services] = []


def services() -> Services:
    """The started services (the app starts them before serving any request)."""
    return _services[0]


@cl.data_layer
def data_layer() -> SQLAlchemyDataLayer:
    """Chainlit's thread history, in Keel's database (tables created here)."""
    create_history_tables(HISTORY_SYNC_URL)
    return SQLAlchemyDataLayer(conninfo=HISTORY_ASYNC_URL)


def _report_crash(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("background task stopped", exc_info=task.exception())


async def _start_background(
    runtime: ChatRuntime, briefings: ChatBriefings, stack: AsyncExitStack
) -> None:
    """Start the cascade worker, the briefing scheduler and the briefing poll; stop them on exit."""
    ui = UISettings()
    stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = [
        asyncio.create_task(briefings.run(stop, poll_s=ui.briefing_poll_s))
    ]
    if ui.worker:
        ctx = await asyncio.to_thread(make_context, runtime.engine)  # loads the scoring prior
        tasks.append(
            asyncio.create_task(run_workers(ctx, concurrency=ui.worker_concurrency, stop=stop))
        )
    if ui.scheduler:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler()
        briefer = BriefingScheduler(runtime.engine, org_id=runtime.org_id, hour=ui.briefing_hour,
                                    make_doc=store_make_doc(runtime.org_id), on_ready=briefings.on_ready)  # fmt: skip
        await asyncio.to_thread(briefer.install, scheduler, catch_up_now=True,
                                catch_up_minutes=ui.briefing_catch_up_minutes)  # fmt: skip
        scheduler.start()
        stack.callback(scheduler.shutdown, wait=False)

    for task in tasks:
        task.add_done_callback(_report_crash)

    async def stop_tasks() -> None:  # runs first on exit (the stack unwinds last-in first-out)
        stop.set()
        await asyncio.wait(tasks, timeout=30)

    stack.push_async_callback(stop_tasks)
    logger.info("background: worker=%s scheduler=%s", ui.worker, ui.scheduler)


@cl.on_app_startup
async def startup() -> None:
    """Open the store and checkpointer, compile the graph, start the background services."""
    runtime = await asyncio.to_thread(
        ChatRuntime.build, org_id=UISettings().org, memory_settings=MEMORY
    )
    await asyncio.to_thread(create_briefing_tables, runtime.engine)
    stack = AsyncExitStack()
    checkpointer = await stack.enter_async_context(open_async_checkpointer(MEMORY))
    briefings = ChatBriefings(runtime.engine, org_id=runtime.org_id, send=chainlit_send)
    _services.append(Services(runtime, compile_graph(checkpointer), stack, briefings))
    await _start_background(runtime, briefings, stack)
    asyncio.get_running_loop().run_in_executor(None, runtime.warm_up)  # in the background


@cl.on_app_shutdown
async def shutdown() -> None:
    """Stop the background services and close the checkpointer."""
    for svc in _services:
        await svc.stack.aclose()


@cl.password_auth_callback
async def login(username: str, password: str) -> cl.User | None:
    """Sign in with an email and password of the configured org's users."""
    runtime = services().runtime

    def check() -> cl.User | None:
        with session_scope(runtime.engine) as session:
            user = authenticate(session, login=username, password=password)
            if user is None or user.org_id != runtime.org_id:
                return None
            meta = {"user_id": user.id, "org_id": user.org_id, "role": user.role, "name": user.name}
            return cl.User(identifier=user.email.lower(), display_name=user.name, metadata=meta)

    return await asyncio.to_thread(check)


@cl.set_starters
async def starters(user: cl.User | None = None) -> list[cl.Starter]:
    """Suggestions on an empty chat."""
    return [
        cl.Starter(label="Deals at risk", message="Which of my deals are at risk?"),
        cl.Starter(
            label="Pipeline at quarter start",
            message="What did my pipeline look like at quarter start?",
        ),
        cl.Starter(
            label="What Keel learned", message="What preferences have you learned about me?"
        ),
    ]


def _user_id() -> str:
    return str(cl.user_session.get("user").metadata["user_id"])


@cl.on_chat_start
async def on_chat_start() -> None:
    """Register the session for live briefings; open with today's briefing if there is one."""
    await services().briefings.open_session(cl.context.session.id, _user_id())


@cl.on_chat_resume
async def on_chat_resume(thread: ThreadDict) -> None:
    """A resumed thread receives live briefings too."""
    services().briefings.registry.add(cl.context.session.id, _user_id())


@cl.on_chat_end
async def on_chat_end() -> None:
    """Stop pushing briefings into a closed session."""
    services().briefings.close_session(cl.context.session.id)


def _viewer() -> Any:
    user = cl.user_session.get("user")
    return services().runtime.viewer(str(user.metadata["user_id"]))


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """Run one turn: tool steps as they happen, the answer streamed, then cards and editors."""
    svc = services()
    svc.briefings.registry.add(cl.context.session.id, _user_id())  # back after a reconnect
    thread_id = cl.context.session.thread_id
    viewer = await asyncio.to_thread(_viewer)
    context = await asyncio.to_thread(svc.runtime.context, viewer, thread_id=thread_id)
    steps, answer, turn = ToolSteps(), None, None
    async for event in astream_turn(
        svc.graph, message=message.content, context=context, thread_id=thread_id
    ):
        if event.kind == "tool_start":
            await steps.start(event.tool)
        elif event.kind == "tool_end":
            await steps.end(event.tool)
        elif event.kind == "token" and event.source == "draft":
            await steps.stream(event.text)
        elif event.kind == "token":
            answer = answer or cl.Message(content="", author="Keel")  # created after the tool steps
            await answer.stream_token(event.text)
        elif event.kind == "done":
            turn = event.turn
    if turn is None:
        return
    call = turn.tool_calls[-1] if turn.tool_calls else None
    streamed = answer is not None
    answer = answer or cl.Message(content="", author="Keel")
    answer.content = turn.answer
    if call and call["name"] == "lookup_deal" and call["status"] == "ok":
        answer.actions = [score_card_action(call)]
    if call and call["name"] == "draft_content" and call["status"] == "ok":
        answer.content, editor = draft_editor(call)
        answer.elements = [editor]  # type: ignore[list-item]
    await (answer.update() if streamed else answer.send())
    if call and call["name"] == "deal_score" and call["status"] in ("ok", "unavailable"):
        await send_score_card(call)


@cl.action_callback("score_card")
async def on_score_card(action: cl.Action) -> None:
    """Open a deal's score card from the button under a deal answer."""
    svc = services()
    viewer = await asyncio.to_thread(_viewer)
    context = await asyncio.to_thread(
        svc.runtime.context, viewer, thread_id=cl.context.session.thread_id
    )
    args = {"deal": str(action.payload.get("deal_id") or "")}
    steps = ToolSteps()
    await steps.start({"id": action.id, "name": "deal_score", "args": args})
    result = await asyncio.to_thread(call_tool, "deal_score", args, context.tools)
    call = result.as_dict() | {"id": action.id, "name": "deal_score", "args": args, "ms": 0}
    await steps.end(call)
    await send_score_card(call)


@cl.action_callback("draft_edited")
async def on_draft_edited(action: cl.Action) -> str:
    """Store a draft the rep edited and sent back, with its diff, for the preference loop."""
    drafts = cl.user_session.get(DRAFTS_KEY) or {}
    original = drafts.get(str(action.payload.get("draft_id")))
    if original is None:
        await cl.Message(
            content="I can't find that draft any more; nothing was saved.", author="Keel"
        ).send()
        return "unknown draft"
    feedback = services().runtime.feedback
    viewer = await asyncio.to_thread(_viewer)
    edited = str(action.payload.get("text") or "")
    assert feedback is not None
    saved, details = await asyncio.to_thread(
        feedback.record_draft_edit,
        viewer,
        original=original["text"],
        edited=edited,
        draft_kind=original["kind"],
        thread_id=cl.context.session.thread_id,
        deal_id=original["deal_id"],
    )
    text = (
        f"Saved your edit ({details['changed_lines']} changed lines). I'll learn from it."
        if saved
        else "The draft is unchanged, so there was nothing to learn."
    )
    await cl.Message(content=text, author="Keel").send()
    return text


@cl.on_feedback
async def on_feedback(feedback: Feedback) -> None:
    """Keep thumbs up/down and "that's wrong because..." comments for the preference loop."""
    runtime = services().runtime
    viewer = await asyncio.to_thread(_viewer)
    about = await asyncio.to_thread(step_output, HISTORY_SYNC_URL, feedback.forId)
    kind = "thumbs_up" if feedback.value == 1 else "thumbs_down"
    assert runtime.feedback is not None
    await asyncio.to_thread(
        runtime.feedback.record,
        viewer,
        kind=kind,
        text=feedback.comment or "",
        thread_id=feedback.threadId or cl.context.session.thread_id,
        payload={"answer": (about or "")[:4000]},
        message_id=feedback.forId,
    )
