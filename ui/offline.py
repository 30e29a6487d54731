"""Keep the chat page free of remote assets (fonts, KaTeX CSS) so it renders offline at once.

Chainlit's page links Google Fonts and a KaTeX stylesheet from a CDN; on a network that
silently drops packets those block rendering for tens of seconds. This ASGI middleware
removes every ``<link>`` to a remote origin from HTML responses.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REMOTE_LINK = re.compile(rb"<link\b[^>]*href=\"https?://[^\"]*\"[^>]*/?>", re.I | re.S)


def strip_remote_links(html: bytes) -> bytes:
    """Remove ``<link ... href="http(s)://...">`` tags from an HTML document."""
    return _REMOTE_LINK.sub(b"", html)


class StripRemoteAssets:
    """ASGI middleware applying :func:`strip_remote_links` to HTML responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer HTML responses, strip remote links, fix the length; pass others through."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen = dict(message.get("headers") or [])
                if b"text/html" not in seen.get(b"content-type", b""):
                    start["pass"] = True
                    await send(message)
                    return
                start.update(message)
                return
            if start.get("pass"):
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            html = strip_remote_links(bytes(body))
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(html)).encode()))
            await send(
                {"type": "http.response.start", "status": start["status"], "headers": headers}
            )
            await send({"type": "http.response.body", "body": html})

        await self.app(scope, receive, capture)
