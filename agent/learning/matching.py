"""When two preferences say the same thing, and when a new one contradicts an old one.

Both decisions combine the same-kind check, the concept tags of :mod:`agent.learning.concepts`
and the embedding similarity of the statements: tags decide when both statements have them,
the embedding decides otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.learning.concepts import effective, jaccard, opposed, tags
from memory.preference_models import Preference

_NOISE = frozenset({"email"})
"""Tags that say where a preference applies, not what it is (ignored when others exist)."""


@dataclass(frozen=True)
class Shape:
    """What matters of a preference for matching.

    Attributes:
        kind: Preference kind.
        polarity: Polarity after pole normalisation.
        want: Concepts wanted (or avoided), after pole normalisation.
        contrast: Concepts it is set against ("not speed").
        raw_polarity: Polarity as stated.
    """

    kind: str
    polarity: str
    want: frozenset[str]
    contrast: frozenset[str]
    raw_polarity: str


def _core(tagset: frozenset[str]) -> frozenset[str]:
    rest = tagset - _NOISE
    return rest if rest else tagset


def shape(
    *, kind: str, polarity: str, statement: str, target: str = "", contrast: str = ""
) -> Shape:
    """Build the matching shape of a statement."""
    want_text = target or statement
    want = tags(want_text)
    if not want:
        want = tags(statement)
    against = tags(contrast) if contrast else frozenset()
    want = want - against if want - against else want
    eff, pol = effective(_core(want), polarity)
    return Shape(kind=kind, polarity=pol, want=eff, contrast=against, raw_polarity=polarity)


def shape_of(pref: Preference) -> Shape:
    """The matching shape of a stored preference."""
    return shape(
        kind=pref.kind,
        polarity=pref.polarity,
        statement=pref.statement,
        target=pref.target,
        contrast=pref.contrast,
    )


def _opposite(a: str, b: str) -> bool:
    return (a == "avoid") != (b == "avoid")


def contradicts(new: Shape, old: Shape, similarity: float, threshold: float) -> bool:
    """True if ``new`` says the opposite of ``old`` (so ``old`` stops holding).

    Args:
        new: The newer preference.
        old: The existing preference.
        similarity: Cosine similarity of their statements.
        threshold: Similarity above which untagged statements are about the same thing.
    """
    if new.kind != old.kind:
        return False
    if new.want & old.contrast and not new.want & old.want:
        return True
    if old.want & new.contrast and not old.want & new.want:
        return True
    if new.want and old.want:
        if opposed(new.want, old.want) and not (new.want & old.want) - _NOISE:
            return True
        return jaccard(new.want, old.want) >= 0.5 and _opposite(new.polarity, old.polarity)
    return similarity >= threshold and _opposite(new.raw_polarity, old.raw_polarity)


def equivalent(a: Shape, b: Shape, similarity: float, threshold: float) -> bool:
    """True if ``a`` and ``b`` state the same preference (merge, or count as one for promotion).

    Args:
        a: One preference's shape.
        b: The other's.
        similarity: Cosine similarity of their statements.
        threshold: Similarity at or above which untagged statements are equivalent.
    """
    if a.kind != b.kind or contradicts(a, b, similarity, threshold):
        return False
    if a.polarity != b.polarity:
        return False
    if a.want and b.want:
        overlap = jaccard(a.want, b.want)
        if overlap >= 0.5:
            return True
        if overlap == 0.0:
            return False
    return similarity >= threshold
