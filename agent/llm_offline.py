"""Let Keel's own LLM server requests through huggingface_hub's offline mode, nothing else.

With ``HF_HUB_OFFLINE=1`` huggingface_hub refuses every HTTP request made through its shared
HTTP clients, including chat requests to a TGI server the user configured (even on
127.0.0.1). Keel marks its server requests with a header; the request hook installed here
strips the marker and lets those through, and keeps refusing every other request (the Hub
stays blocked). huggingface_hub's client factory is process-wide by design, so installing is
process-wide too; it is idempotent and only done when offline mode is on.
"""

from __future__ import annotations

import httpx2
from huggingface_hub import (
    get_session,
    is_offline_mode,
    set_async_client_factory,
    set_client_factory,
)
from huggingface_hub.errors import OfflineModeIsEnabled

MARKER_HEADER = "x-keel-llm-request"
_MAX_ERROR_BODY = 1_000_000


def request_hook(request: httpx2.Request) -> None:
    """Pass marked Keel LLM requests (removing the marker); refuse the rest when offline."""
    if MARKER_HEADER in request.headers:
        del request.headers[MARKER_HEADER]
        return
    if is_offline_mode():
        raise OfflineModeIsEnabled(
            f"Cannot reach {request.url}: offline mode is enabled (HF_HUB_OFFLINE); only "
            "Keel's configured LLM server is allowed."
        )


async def async_request_hook(request: httpx2.Request) -> None:
    """Async form of :func:`request_hook`."""
    request_hook(request)


async def async_response_hook(response: httpx2.Response) -> None:
    """Read small error bodies so huggingface_hub can put the server's message in its error."""
    if response.status_code >= 400:
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) < _MAX_ERROR_BODY:
            await response.aread()


def make_client() -> httpx2.Client:
    """A sync client like huggingface_hub's default one, with Keel's request hook."""
    return httpx2.Client(
        event_hooks={"request": [request_hook]}, follow_redirects=True, timeout=None
    )


def make_async_client() -> httpx2.AsyncClient:
    """An async client like huggingface_hub's default one, with Keel's hooks."""
    return httpx2.AsyncClient(
        event_hooks={"request": [async_request_hook], "response": [async_response_hook]},
        follow_redirects=True,
        timeout=None,
    )


def allow_llm_server_when_offline() -> bool:
    """Install Keel's hooks into huggingface_hub if offline mode is on and they are missing.

    Returns:
        True when Keel's requests must carry :data:`MARKER_HEADER` (offline mode is on).
    """
    if not is_offline_mode():
        return False
    if request_hook not in get_session().event_hooks.get("request", []):
        set_client_factory(make_client)
        set_async_client_factory(make_async_client)
    return True
