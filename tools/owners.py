"""Resolve whose pipeline a request is about, inside the viewer's access."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from tools.access import resolve_user, team_members, visible_owner_ids
from tools.context import ToolContext
from tools.results import ToolResult

_EVERYONE = {
    "",
    "me",
    "my",
    "mine",
    "myself",
    "i",
    "all",
    "team",
    "my team",
    "our team",
    "everyone",
    "us",
    "we",
    "our",
}


@dataclass(frozen=True)
class OwnerScope:
    """The owners a pipeline request covers and how to describe them."""

    owner_ids: set[str] | None
    label: str


def owner_scope(
    session: Session, ctx: ToolContext, owner: str, *, tool: str
) -> OwnerScope | ToolResult:
    """Return the owners ``owner`` names (empty = everything the viewer may see).

    A name outside the viewer's access is refused without saying whether that person exists.
    """
    wanted = " ".join(owner.lower().split())
    viewer = ctx.viewer
    if wanted in _EVERYONE or wanted.removesuffix("'s") in _EVERYONE:
        visible = visible_owner_ids(session, viewer)
        if viewer.role == "rep" or wanted in ("me", "my", "mine", "myself", "i"):
            return OwnerScope({viewer.user_id}, "your")
        return OwnerScope(visible, "your team's" if viewer.role == "manager" else "the org's")
    user, several = resolve_user(session, viewer, wanted.removesuffix("'s"))
    if user is not None:
        label = "your" if user.id == viewer.user_id else f"{user.name}'s"
        return OwnerScope({user.id}, label)
    if several:
        names = ", ".join(u.name for u in several)
        return ToolResult(tool, "ambiguous", f'"{owner}" could be {names}. Which one?')
    if viewer.role == "rep":
        text = (
            "I can only show your own pipeline; other reps' deals are not visible to you. "
            "Ask your manager if you need to see theirs."
        )
    else:
        names = ", ".join(u.name for u in team_members(session, viewer)[1:]) or "nobody else"
        text = f"I can only show pipelines of people you can see ({names})."
    return ToolResult(tool, "refused", text, data={"owner": owner})
