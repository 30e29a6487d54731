"""What cascade handlers receive and return, and the collaborators that plug into them.

A handler is two steps: ``prepare`` reads and computes (it may be slow: an LLM call)
outside any write lock; ``apply`` writes derived rows inside the worker's transaction and
returns the parent keys to mark, which the worker marks before finishing the claimed
keys, all in that one transaction. Data that changes between the two re-marks the key,
so it simply runs again. Extraction and scoring plug in as collaborators on the context
(:class:`SignalExtractor`, :class:`DealScorer`, :class:`SnapshotWriter`) or by replacing a
level's handler in the registry. Scores are computed in ``prepare`` and recorded (score
history, through the optional :class:`ScoreRecorder`) in ``apply``: a ``prepare`` session
is never committed, so anything a scorer wrote there would be lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from agent.cascade.leases import Claim
from agent.cascade.settings import CascadeSettings
from memory.db import utcnow
from memory.queue import Scope


@dataclass(frozen=True)
class ActivityText:
    """One activity as an extractor sees it (no database handle)."""

    activity_id: str
    org_id: str
    deal_id: str | None
    kind: str
    subject: str | None
    body: str
    participants: list[dict[str, Any]]
    direction: str | None
    occurred_at: datetime
    content_hash: str


class SignalExtractor(Protocol):
    """Turns activity text into signal payloads (the language layer plugs in here).

    ``name`` identifies the extractor version; it is stored with each signal and an
    activity whose content hash already has signals from this name is not re-extracted.
    ``extract`` runs outside any write transaction and may be slow; it returns one payload
    per activity, in order (an empty payload is stored too: "nothing found" is cached).
    """

    name: str

    def extract(self, activities: Sequence[ActivityText]) -> Sequence[dict[str, Any]]:
        """Return one signal payload per activity."""
        ...


@dataclass(frozen=True)
class DealScore:
    """A scorer's answer for one deal."""

    win_probability: float
    model_version: str
    details: dict[str, Any] = field(default_factory=dict)


class DealScorer(Protocol):
    """Scores deals as of an instant (the scoring package plugs in here)."""

    @property
    def model_version(self) -> str:
        """Version of the model currently used; part of every deal's inputs fingerprint."""
        ...

    def score(
        self, session: Session, *, org_id: str, deal_ids: Sequence[str], as_of: datetime
    ) -> dict[str, DealScore]:
        """Return scores for the deals it can score (others are left out)."""
        ...


@runtime_checkable
class OrgVersionedScorer(Protocol):
    """Optional extra of a :class:`DealScorer` whose model differs from org to org."""

    def version_for(self, session: Session, *, org_id: str) -> str | None:
        """Version of the model scoring ``org_id`` now (``None``: it cannot score the org)."""
        ...


def scorer_version(scorer: DealScorer | None, session: Session, org_id: str) -> str | None:
    """The model version that goes into ``org_id``'s deal fingerprints (``None``: no model).

    A scorer with ``version_for`` answers per org; any other reports ``model_version``.
    """
    if scorer is None:
        return None
    if isinstance(scorer, OrgVersionedScorer):
        return scorer.version_for(session, org_id=org_id)
    return scorer.model_version


class ScoreRecorder(Protocol):
    """Records deal scores (score history) inside the worker's write transaction."""

    def __call__(self, session: Session, *, org_id: str, scores: Mapping[str, DealScore]) -> None:
        """Write what is kept of ``scores`` (only the deals whose keys are still held)."""
        ...


class SnapshotWriter(Protocol):
    """Writes richer training snapshots of freshly closed deals (scoring plugs in here)."""

    def __call__(self, session: Session, *, org_id: str, deal_ids: Sequence[str]) -> None:
        """Write snapshots inside the worker's transaction."""
        ...


@dataclass(frozen=True)
class CascadeContext:
    """Everything a handler may use, passed in explicitly.

    Attributes:
        engine: The store.
        clock: Current time; tests and benchmarks pin it so results are reproducible.
        settings: Worker settings.
        extractor: Signal extraction for new activities (``None``: no extraction).
        scorer: Deal scoring (``None``: deals are weighted by stage).
        score_recorder: Records the scorer's scores in the deal level's write transaction.
        snapshot_writer: Extra training snapshot step for closed deals.
    """

    engine: Engine
    clock: Callable[[], datetime] = utcnow
    settings: CascadeSettings = field(default_factory=CascadeSettings)
    extractor: SignalExtractor | None = None
    scorer: DealScorer | None = None
    score_recorder: ScoreRecorder | None = None
    snapshot_writer: SnapshotWriter | None = None


@dataclass
class HandlerResult:
    """What one handler run changed: parent keys to mark dirty, with their scopes."""

    parents: dict[str, Scope] = field(default_factory=dict)

    def mark(self, key: str, *, deal_id: str | None = None, account_id: str | None = None) -> None:
        """Ask the worker to mark ``key`` dirty (scope = the deal/account it belongs to)."""
        self.parents[key] = (deal_id, account_id)


class LevelHandler(Protocol):
    """Recomputes the derived state of a batch of claimed keys of one level and one org.

    ``prepare`` gets a read-only session outside any write lock and should do the reading
    and computing; ``apply`` gets the worker's write transaction and should only write.
    ``apply`` may receive fewer claims than ``prepare`` did (a lease lost in between), so
    it must write only for the claims it is given.
    """

    def prepare(
        self, ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
    ) -> Any:
        """Read and compute (may be slow); return what ``apply`` writes."""
        ...

    def apply(
        self,
        ctx: CascadeContext,
        session: Session,
        org_id: str,
        claims: Sequence[Claim],
        prepared: Any,
    ) -> HandlerResult:
        """Write derived rows for ``claims``; return the parent keys to mark."""
        ...


ApplyFn = Callable[[CascadeContext, Session, str, Sequence[Claim], Any], HandlerResult]
PrepareFn = Callable[[CascadeContext, Session, str, Sequence[Claim]], Any]


@dataclass(frozen=True)
class FunctionHandler:
    """A :class:`LevelHandler` made of plain functions (``prepare`` optional)."""

    apply_fn: ApplyFn
    prepare_fn: PrepareFn | None = None

    def prepare(
        self, ctx: CascadeContext, session: Session, org_id: str, claims: Sequence[Claim]
    ) -> Any:
        """Run ``prepare_fn`` if there is one."""
        return self.prepare_fn(ctx, session, org_id, claims) if self.prepare_fn else None

    def apply(
        self,
        ctx: CascadeContext,
        session: Session,
        org_id: str,
        claims: Sequence[Claim],
        prepared: Any,
    ) -> HandlerResult:
        """Run ``apply_fn``."""
        return self.apply_fn(ctx, session, org_id, claims, prepared)
