"""Today's alerts for an org's open deals, computed from the store as Keel knew it each day.

:class:`AlertFeed` loads the raw records once, then steps through days: for each open deal
it builds yesterday's and today's records (:mod:`scoring.patterns.records`), scores the
win probability with the served model, updates the change statistics and runs the rules
of :mod:`scoring.alerts`. A replay (the evaluation) and a one-day briefing (``keel
brief``, the scheduler) go through the same code; a one-day briefing warms the change
statistics up over the preceding days.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from memory.scoring_store import DealScoreHistory
from scoring.alert_stats import ChangeTracker
from scoring.alerts import Alert, ProbabilityChange, chasing_followups, detect
from scoring.deal_features import RepHistory, deal_features_at
from scoring.events import load_deals, load_org
from scoring.patterns.findings import PatternReport
from scoring.patterns.records import DealRecord, build_record, user_timezones
from scoring.patterns.settings import AlertSettings, PatternSettings


class Predictor(Protocol):
    """Anything that turns feature rows into win probabilities (a served model)."""

    def predict(self, rows: list[dict[str, Any]]) -> Any:
        """Win probabilities, one per row."""
        ...


def stall_conditions(
    report: PatternReport | dict[str, Any] | None, *, min_ratio: float = 2.0
) -> dict[str, str]:
    """Significant stall conditions that at least ``min_ratio``-fold the chance of going dark.

    Args:
        report: A pattern report, or its stored JSON form (``PatternReport.as_dict()``).
        min_ratio: Smallest risk ratio of going dark.
    """
    if report is None:
        return {}
    if isinstance(report, PatternReport):
        report = report.as_dict()
    return {
        p["key"].removeprefix("stall:"): p["text"]
        for p in report.get("patterns", [])
        if p["kind"] == "stall" and p["significant"] and p["risk_ratio"] >= min_ratio
    }


def load_score_history(
    session: Session, *, org_id: str, deal_ids: Sequence[str], since: datetime, until: datetime
) -> dict[str, list[tuple[float, float]]]:
    """Stored win probabilities ``deal -> [(as_of seconds, p)]`` (oldest first) in a window.

    These are the scores the cascade recorded as deals changed; a morning briefing reads
    them instead of re-scoring every deal for every past day.
    """
    h = DealScoreHistory
    out: dict[str, list[tuple[float, float]]] = {}
    ids = sorted(set(deal_ids))
    for start in range(0, len(ids), 2000):
        query = (
            select(col(h.deal_id), col(h.as_of), col(h.win_probability))
            .where(col(h.org_id) == org_id, col(h.deal_id).in_(ids[start : start + 2000]))
            .where(col(h.as_of) >= since, col(h.as_of) <= until)
            .order_by(col(h.deal_id), col(h.as_of), col(h.id))
        )
        for deal_id, as_of, p in session.execute(query):
            out.setdefault(str(deal_id), []).append((as_of.timestamp(), float(p)))
    return out


class AlertFeed:
    """Step through days and produce each day's alerts for the open pipeline.

    Args:
        session: Open session (used only while loading).
        org_id: The org.
        until: Last instant that will be asked for (records after it are not loaded).
        model: Win-probability model (None = no probability alerts).
        stalls: Stall conditions -> pattern text (:func:`stall_conditions`).
        owners: Only deals of these owners (None = all).
        settings: Alert thresholds; ``patterns`` the dark definition.
        open_only: Load only deals still open at ``until`` (a morning briefing); a
            replay over past days needs every deal (False).
    """

    def __init__(
        self, session: Session, *, org_id: str, until: datetime, model: Predictor | None,
        stalls: dict[str, str] | None, owners: Sequence[str] | None = None,
        settings: AlertSettings | None = None, patterns: PatternSettings | None = None,
        open_only: bool = True,
    ) -> None:  # fmt: skip
        self.settings = settings or AlertSettings()
        self.patterns = patterns or PatternSettings()
        t = until.timestamp()
        self.org = load_org(session, org_id=org_id, until=t)
        ids = self.org.open_deal_ids() if open_only else None
        self.events = load_deals(
            session, org_id=org_id, deal_ids=ids, until=t, extractors=self.patterns.extractor
        )
        self.tz = user_timezones(session, org_id=org_id)
        self.reps = RepHistory.from_closes(self.org.closes)
        self.closes = {c.deal_id: c for c in self.org.closes}
        self.model = model
        self.stalls = stalls or {}
        self.owners = set(owners) if owners is not None else None
        self.tracker = ChangeTracker()
        self.prev: dict[str, DealRecord] = {}
        self._zones: dict[str, tzinfo] = {}

    def fork(self, *, owners: Sequence[str] | None) -> AlertFeed:
        """A feed sharing the loaded records but with its own owners and fresh statistics."""
        other = copy.copy(self)
        other.owners = set(owners) if owners is not None else None
        other.tracker = ChangeTracker()
        other.prev = {}
        return other

    def _zone(self, user_id: str | None) -> tzinfo:
        """The user's time zone (UTC when unknown or invalid)."""
        name = self.tz.get(user_id or "", "UTC")
        if name not in self._zones:
            try:
                self._zones[name] = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                self._zones[name] = UTC
        return self._zones[name]

    def _record(self, deal_id: str, t: float) -> DealRecord | None:
        ev = self.events[deal_id]
        if ev.created > t or ev.known > t:
            return None
        if self.owners is not None:
            owner = None
            for valid, recorded, _cid, name, value in ev.changes:
                if name == "owner_id" and valid <= t and recorded <= t:
                    owner = value
            if owner not in self.owners:
                return None
        close = self.closes.get(deal_id)
        if close is not None and close.known <= t:
            return None
        return build_record(ev, t, accounts=self.org.accounts, tz=self.tz,
                            dark_days=self.patterns.dark_days, close=None,
                            followups=self.patterns.dark_followups)  # fmt: skip

    def step(
        self, at: datetime, *, alerts: bool = True,
        history: dict[str, list[tuple[float, float]]] | None = None,
    ) -> list[Alert]:  # fmt: skip
        """Advance to ``at`` (call with increasing instants) and return its alerts.

        With ``history``, a deal's probability is its latest stored score by ``at``; the
        model scores only deals without one.
        """
        t = at.timestamp()
        recs = {}
        for deal_id in self.events:
            rec = self._record(deal_id, t)
            if rec is not None and (self.owners is None or rec.owner in self.owners):
                recs[deal_id] = rec
        for gone in set(self.prev) - set(recs):
            self.tracker.forget(gone)
            del self.prev[gone]
        probs: dict[str, float] = {}
        if history is not None:
            for deal_id in recs:
                known = [p for ts, p in history.get(deal_id, []) if ts <= t]
                if known:
                    probs[deal_id] = known[-1]
        missing = sorted(d for d in recs if d not in probs)
        if self.model is not None and missing:
            ids = missing
            rows = [deal_features_at(self.events[d], t, self.org, self.reps) for d in ids]
            probs.update({d: float(p) for d, p in zip(ids, self.model.predict(rows), strict=True)})
        out: list[Alert] = []
        self.tracker.new_day()
        for deal_id in sorted(recs):
            rec = recs[deal_id]
            p = probs.get(deal_id)
            change = self.tracker.update(deal_id, p) if p is not None else None
            pc = ProbabilityChange(p if p is not None else 0.3, *(change or (None, None, None)))
            if alerts:
                chasers = chasing_followups(self.events[deal_id].activities, last_buyer=rec.last_buyer,
                                            t=t, tz=self._zone(rec.owner))  # fmt: skip
                out += detect(self.prev.get(deal_id), rec, at=at, prob=pc, stall_conditions=self.stalls,
                              settings=self.settings, chasers=chasers)  # fmt: skip
            self.prev[deal_id] = rec
        return out

    def run_day(
        self, at: datetime, *, warmup_days: int = 14,
        history: dict[str, list[tuple[float, float]]] | None = None,
    ) -> list[Alert]:  # fmt: skip
        """Alerts of one day, after warming the change statistics up over earlier days.

        Args:
            at: The briefing instant.
            warmup_days: Days of probability history that define "normal variation".
            history: Stored scores (:func:`load_score_history`). When given, the warm-up
                replays them (cheap) and only yesterday and today are rebuilt; deals
                without stored scores are scored with the model.
        """
        if history is None:
            for k in range(warmup_days, 0, -1):
                self.step(at - timedelta(days=k), alerts=False)
            return self.step(at)
        t = at.timestamp()
        for k in range(warmup_days, 0, -1):
            day_end = t - k * 86400.0
            self.tracker.new_day()
            for deal_id, series in sorted(history.items()):
                known = [p for ts, p in series if ts <= day_end]
                if known:
                    self.tracker.update(deal_id, known[-1])
        self.step(at - timedelta(days=1), alerts=False, history=history)
        return self.step(at, history=history)
