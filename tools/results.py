"""The one shape every tool returns: a status, plain facts for the model, data for the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "not_found", "ambiguous", "missing_input", "refused", "unavailable", "error"]
"""``ok``: facts found. ``not_found``: nothing the viewer may see matched. ``ambiguous``:
several matched (``candidates`` says which). ``missing_input``: the request lacks what the
tool needs. ``refused``: outside the viewer's access. ``unavailable``: the capability does
not exist yet in this installation. ``error``: the tool failed (the text says so plainly)."""


@dataclass
class ToolResult:
    """What a tool found, in words for the model and as data for the chat UI.

    Attributes:
        tool: Name of the tool that produced it.
        status: See :data:`Status`.
        text: Facts in plain lines (the model answers from these, and only these); for a
            non-``ok`` status, the message to show the user as is.
        data: JSON-ready details for rendering (score cards, charts, drafts).
        deal_id: The deal the result is about, if exactly one.
        deal_name: That deal's name.
        candidates: For ``ambiguous``: ``[{"deal_id", "name", ...}]``.
    """

    tool: str
    status: Status
    text: str
    data: dict[str, Any] = field(default_factory=dict)
    deal_id: str | None = None
    deal_name: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the tool found what was asked."""
        return self.status == "ok"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in the conversation state and printed by the CLI)."""
        return {
            "tool": self.tool,
            "status": self.status,
            "text": self.text,
            "data": self.data,
            "deal_id": self.deal_id,
            "deal_name": self.deal_name,
            "candidates": self.candidates,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolResult:
        """Rebuild a result from :meth:`as_dict` output."""
        return cls(
            tool=str(data["tool"]),
            status=data["status"],
            text=str(data["text"]),
            data=dict(data.get("data") or {}),
            deal_id=data.get("deal_id"),
            deal_name=data.get("deal_name"),
            candidates=list(data.get("candidates") or []),
        )


def money(amount: float | None, currency: str | None = None) -> str:
    """Format an amount for people: ``$62,000`` / ``62,000 EUR`` / ``unknown``."""
    if amount is None:
        return "unknown"
    if (currency or "USD").upper() == "USD":
        return f"${amount:,.0f}"
    return f"{amount:,.0f} {currency}"


def pct(probability: float | None) -> str:
    """Format a 0..1 probability as a whole percentage."""
    return "unknown" if probability is None else f"{probability * 100:.0f}%"
