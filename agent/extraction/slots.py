"""Next meetings: which lines name a concrete slot, and whether the slot was agreed.

A concrete slot is a day plus a clock time (in one line, or a time right after a line
naming the day). Whether both sides agreed is regular language too: a slot stated as a
fact ("booked for Monday 13 April at 11:00, accepted") stands; a proposed or hedged one
("Would Tuesday at 3 work?", "Possibly Tuesday at 11, let me check") needs the next line
by someone else to accept it ("Tuesday at 3 works").
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.extraction import rules
from agent.extraction.document import Line


def _names_slot(lines: Sequence[Line], i: int) -> bool:
    text = lines[i].text
    if rules.is_slot(text):
        return True
    return i > 0 and rules.has_clock_time(text) and rules.has_day(lines[i - 1].text)


def slot_options(usable: Sequence[Line], cap: int) -> list[int]:
    """Numbers of lines naming a concrete slot and of the two lines after each."""
    found: set[int] = set()
    for i in range(len(usable)):
        if _names_slot(usable, i):
            found.update(u.number for u in usable[i : i + 3])
    return sorted(found)[:cap]


def agreed_line(line: Line, usable: Sequence[Line]) -> Line | None:
    """The line showing a concrete slot was agreed, given the line the model chose.

    The slot is the chosen line's own or the nearest one up to three lines before it.
    Returns ``None`` when there is no slot there, or when it was only proposed and the
    next line by someone else does not accept it.
    """
    index = next((i for i, ln in enumerate(usable) if ln.number == line.number), None)
    if index is None:
        return None
    slot_at = next(
        (i for i in range(index, max(index - 4, -1), -1) if _names_slot(usable, i)), None
    )
    if slot_at is None:
        return None
    slot = usable[slot_at]
    if not (rules.is_proposal(slot.text) or slot.text.rstrip().endswith("?")):
        return line
    for reply in usable[slot_at + 1 : slot_at + 3]:
        if reply.speaker != slot.speaker:
            return reply if rules.is_acceptance(reply.text) else None
    return None
