"""How tool results look in the chat: the score card table and its Plotly charts.

Pure functions from a tool's ``data`` to markdown or a Plotly figure, so they are testable
without a browser. No remote assets: Plotly figures render with the plotly.js bundled in
Chainlit.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from tools.results import pct

STAGE_EVENT_FIELDS = ("stage", "close_date", "amount")


def score_card_markdown(card: dict[str, Any], deal: str) -> str:
    """Return the score card: composite, confidence and the eight dimensions as a table."""
    lines = [
        f"### Score card: {deal}",
        f"**Win probability {pct(card.get('win_probability'))}** "
        f"(confidence {pct(card.get('confidence'))}, model {card.get('model_version', '?')}, "
        f"as of {str(card.get('as_of', ''))[:10]})",
        "",
        "| dimension | score | confidence | why |",
        "|---|---:|---:|---|",
    ]
    for d in card.get("dimensions") or []:
        drivers = d.get("drivers") or []
        why = d.get("explanation") or "; ".join(
            str(x.get("text", x)) if isinstance(x, dict) else str(x) for x in drivers[:3]
        )
        why = str(why).replace("|", "/").replace("\n", " ")
        lines.append(
            f"| {d.get('name', '?')} | {float(d.get('score', 0)):.0f} | {pct(d.get('confidence'))} | {why} |"
        )
    return "\n".join(lines)


def _events(fields: dict[str, list[list[Any]]]) -> list[tuple[str, str]]:
    """Changes worth marking on a chart: ``[(iso time, label)]`` (first values are not changes)."""
    out: list[tuple[str, str]] = []
    for name in STAGE_EVENT_FIELDS:
        entries = fields.get(name) or []
        for (_, old), (at, new) in zip(entries, entries[1:], strict=False):
            if old != new:
                out.append((at, f"{name}: {old} → {new}"))
    return sorted(out)


def win_probability_figure(
    history: list[tuple[str, float]] | list[list[Any]],
    fields: dict[str, list[list[Any]]],
    deal: str,
) -> go.Figure:
    """Win probability over time, with the deal's stage, amount and close-date changes marked."""
    xs = [str(h[0]) for h in history]
    ys = [float(h[1]) * 100 for h in history]
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines+markers", name="win probability %"))
    for at, label in _events(fields):
        fig.add_vline(x=at, line_width=1, line_dash="dot", line_color="gray")
        fig.add_annotation(
            x=at, y=100, text=label, showarrow=False, textangle=-90, yanchor="top", font={"size": 9}
        )
    fig.update_layout(
        title=f"Win probability over time: {deal}",
        yaxis={"range": [0, 100], "title": "%"},
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        height=320,
    )
    return fig


def deal_fields_figure(fields: dict[str, list[list[Any]]], deal: str) -> go.Figure:
    """Fallback chart when a deal has no score yet: amount over time with stage changes marked."""
    amounts = fields.get("amount") or []
    fig = go.Figure(
        go.Scatter(
            x=[a[0] for a in amounts],
            y=[a[1] for a in amounts],
            mode="lines+markers",
            line_shape="hv",
            name="amount",
        )
    )
    for at, label in _events(fields):
        fig.add_vline(x=at, line_width=1, line_dash="dot", line_color="gray")
        fig.add_annotation(
            x=at,
            y=1,
            yref="paper",
            text=label,
            showarrow=False,
            textangle=-90,
            yanchor="top",
            font={"size": 9},
        )
    fig.update_layout(
        title=f"{deal}: amount and stage over time (no score yet)",
        margin={"l": 40, "r": 10, "t": 40, "b": 30},
        height=320,
    )
    return fig
