"""Run every pattern family on an org's deals and control the false-discovery rate across all.

This is the entry point the CLI, the agent's pattern tool, briefings and the cascade call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from scoring.patterns.families import competitor_tests, rep_tests, stall_tests, top_reps
from scoring.patterns.findings import Finding, PatternReport
from scoring.patterns.framing import load_framings
from scoring.patterns.records import DealRecord, custom_factor_names, load_records
from scoring.patterns.settings import PatternSettings
from scoring.patterns.stats import bh_adjusted
from scoring.patterns.winloss import win_loss_tests

ALGORITHM_VERSION = "p1"
"""Bump when a test, a factor or a threshold changes meaning."""


def mine_records(
    records: Sequence[DealRecord],
    *,
    org_id: str,
    as_of: datetime,
    framings: dict[str, str | None] | None = None,
    settings: PatternSettings | None = None,
) -> PatternReport:
    """Mine patterns from deal records already loaded (pure; no store access).

    Args:
        records: Deal records (closed ones carry outcomes; open dark ones count for stalls).
        org_id: The org the records belong to.
        as_of: The instant the records describe.
        framings: Value framing per deal (None/missing = unknown).
        settings: Thresholds.
    """
    cfg = settings or PatternSettings()
    framings = framings or {}
    for r in records:
        fr = framings.get(r.deal_id)
        if fr:
            r.factors["framing"] = fr
    skip = custom_factor_names(records) | {"name"}
    findings: list[Finding] = win_loss_tests(
        records, min_support=cfg.min_support, min_cell=cfg.min_cell, skip=skip
    )
    findings += stall_tests(records, min_support=cfg.min_support, dark_days=cfg.dark_days)
    comp, summary = competitor_tests(records, framings, min_support=cfg.min_support)
    findings += comp
    top = top_reps(records, min_deals=cfg.min_rep_deals, share=cfg.top_rep_share)
    findings += rep_tests(records, top, min_support=cfg.min_support)
    q = bh_adjusted([f.p_value for f in findings])
    for f, qv in zip(findings, q, strict=True):
        f.q_value = qv
        f.significant = qv <= cfg.fdr_q
    closed = [r for r in records if r.won is not None]
    digest = hashlib.sha1(
        "|".join(f"{r.deal_id}:{int(bool(r.won))}" for r in closed).encode()
    ).hexdigest()[:12]
    return PatternReport(
        org_id=org_id,
        version=f"{ALGORITHM_VERSION}-{digest}",
        as_of=as_of.isoformat(),
        closed_deals=len(closed),
        win_rate=sum(bool(r.won) for r in closed) / len(closed) if closed else 0.0,
        tests=len(findings),
        fdr_q=cfg.fdr_q,
        findings=findings,
        competitors=summary,
        top_reps=top,
    )


def mine_patterns(
    session: Session, *, org_id: str, as_of: datetime, settings: PatternSettings | None = None
) -> PatternReport:
    """Mine every pattern family from the store, as Keel knew it at ``as_of``.

    Args:
        session: Open session.
        org_id: The org; no other org's data is read.
        as_of: Instant (UTC-aware).
        settings: Thresholds.
    """
    cfg = settings or PatternSettings()
    records = load_records(
        session,
        org_id=org_id,
        as_of=as_of,
        dark_days=cfg.dark_days,
        followups=cfg.dark_followups,
        extractors=cfg.extractor,
    )
    with_comp = [r.deal_id for r in records if r.won is not None]
    framings = load_framings(session, org_id=org_id, deal_ids=with_comp, until=as_of.timestamp())
    return mine_records(records, org_id=org_id, as_of=as_of, framings=framings, settings=cfg)
