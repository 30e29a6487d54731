"""Long activities: a hard size limit, splitting into chunks, and merging chunk signals.

Parsing (speakers, authors, people) runs once over the whole text; only the questions to
the model run per chunk of lines, each chunk a few thousand characters, so a two-hour
transcript costs a bounded number of calls and a megabyte of text is refused at once
with a message saying what to do, instead of running for hours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.extraction.document import Line
from agent.extraction.schema import ActivitySignals, Evidence


class ExtractionInputError(ValueError):
    """The activity cannot be extracted as given (empty, or over the size limit)."""


def check_size(body: str, max_chars: int) -> None:
    """Refuse empty text and text over ``max_chars``.

    Raises:
        ExtractionInputError: With what is wrong and what to do about it.
    """
    if not body.strip():
        raise ExtractionInputError("the activity has no text to extract signals from")
    if len(body) > max_chars:
        raise ExtractionInputError(
            f"the activity text has {len(body):,} characters, over the extraction limit of "
            f"{max_chars:,} (KEEL_EXTRACT_MAX_CHARS); split it into separate activities "
            "(e.g. one per meeting or email) or raise the limit"
        )


def chunk_lines(lines: Sequence[Line], chunk_chars: int) -> list[list[Line]]:
    """Split lines into consecutive chunks of at most ``chunk_chars`` characters each.

    A single line longer than a chunk becomes a chunk of its own (the model's context
    still holds it: lines are sentences or speaker turns).
    """
    chunks: list[list[Line]] = []
    current: list[Line] = []
    size = 0
    for line in lines:
        length = len(line.text) + 8
        if current and size + length > chunk_chars:
            chunks.append(current)
            current, size = [], 0
        current.append(line)
        size += length
    if current or not chunks:
        chunks.append(current)
    return chunks


def merge_signals(parts: Sequence[ActivitySignals]) -> ActivitySignals:
    """Merge the signals of an activity's chunks.

    Booleans are true if any chunk shows them; the champion and economic buyer come from
    the first chunk that names one; competitors and risks are unions in first-seen order.
    """
    if len(parts) == 1:
        return parts[0]
    out = ActivitySignals(evidence=Evidence())
    for part in parts:
        ev = part.evidence
        if out.champion is None and part.champion is not None:
            out.champion, out.evidence.champion = part.champion, ev.champion
        if out.economic_buyer is None and part.economic_buyer is not None:
            out.economic_buyer, out.evidence.economic_buyer = part.economic_buyer, ev.economic_buyer
        for name in ("next_meeting_scheduled", "business_case_shared", "pricing_discussed"):
            if getattr(part, name) and not getattr(out, name):
                setattr(out, name, True)
                setattr(out.evidence, name, getattr(ev, name))
        for comp in part.competitors:
            if comp not in out.competitors:
                out.competitors.append(comp)
                out.evidence.competitors[comp] = ev.competitors.get(comp, "")
        for risk in part.risks:
            if risk not in out.risks:
                out.risks.append(risk)
                out.evidence.risks[risk] = ev.risks.get(risk, "")
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def verify_evidence(signals: ActivitySignals, body: str) -> list[str]:
    """Drop every signal whose evidence quote does not occur in ``body``; return warnings."""
    text = _squash(body)
    ev = signals.evidence
    dropped: list[str] = []

    def found(quote: str | None) -> bool:
        return bool(quote) and _squash(quote or "") in text

    if signals.champion is not None and not found(ev.champion):
        signals.champion, ev.champion = None, None
        dropped.append("champion")
    if signals.economic_buyer is not None and not found(ev.economic_buyer):
        signals.economic_buyer, ev.economic_buyer = None, None
        signals.economic_buyer_engaged, ev.economic_buyer_engaged = False, None
        dropped.append("economic_buyer")
    for name in ("next_meeting_scheduled", "business_case_shared", "pricing_discussed"):
        if getattr(signals, name) and not found(getattr(ev, name)):
            setattr(signals, name, False)
            setattr(ev, name, None)
            dropped.append(name)
    for comp in list(signals.competitors):
        if not found(ev.competitors.get(comp)):
            signals.competitors.remove(comp)
            ev.competitors.pop(comp, None)
            dropped.append(f"competitor {comp}")
    for risk in list(signals.risks):
        if not found(ev.risks.get(risk)):
            signals.risks.remove(risk)
            ev.risks.pop(risk, None)
            dropped.append(f"risk {risk}")
    return [f"{what}: evidence quote not found in the text; signal dropped" for what in dropped]
