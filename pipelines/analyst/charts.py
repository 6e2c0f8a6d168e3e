"""Charts as inline SVG with matplotlib: text drawn as paths, so the page needs no font and no script.

matplotlib (not a JavaScript library) because the report must open offline and unchanged in any browser:
its SVG backend writes plain vector markup with glyphs as outlines, and it needs no browser or
JavaScript runtime to render (Vega-Altair would need vl-convert's embedded engine for the same result).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from datetime import date
from typing import Dict, List, Sequence, Tuple

import matplotlib

matplotlib.use("Agg")  # never a GUI backend; the SVG canvas is used directly below
logging.getLogger("matplotlib").setLevel(logging.WARNING)

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

PALETTE = ["#2f6db5", "#e07b39", "#3a9d5d", "#c23b4a", "#7b5ea7", "#8c6d31", "#d17fb8", "#6b6b6b"]
_DROP = [
    re.compile(r"<\?xml[^>]*\?>\s*"),
    re.compile(r"<!DOCTYPE[^>]*>\s*"),  # names the SVG DTD by URL: not needed inline
    re.compile(r"<metadata>.*?</metadata>\s*", re.S),
]


def _figure(height: float = 3.4) -> Figure:
    fig = Figure(figsize=(8.6, height), dpi=100)
    fig.set_layout_engine("tight")
    return fig


def to_svg(fig: Figure, chart_id: str) -> str:
    """The figure as an `<svg>` element for inlining (no XML prolog, DOCTYPE or metadata)."""
    buf = io.StringIO()
    # a distinct salt per chart keeps the ids of clip paths unique when several SVGs share one page
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": chart_id}), warnings.catch_warnings():
        # emoji in topics or names have no outline in the bundled font: drawn as a box, not worth a warning
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    for pattern in _DROP:
        svg = pattern.sub("", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" ', 1)


def _empty(ax: object, message: str = "no data yet") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color="#888", transform=ax.transAxes)  # type: ignore[attr-defined]
    ax.set_xticks([])  # type: ignore[attr-defined]
    ax.set_yticks([])  # type: ignore[attr-defined]


def _weeks(weeks: Sequence[date]) -> List[str]:
    return [w.strftime("%d %b") for w in weeks]


def meetings_per_week(rows: Sequence[Tuple[date, int, int]]) -> Figure:
    """rows: (week_start, ended instances, recorded)."""
    fig = _figure()
    ax = fig.add_subplot()
    if not rows:
        _empty(ax)
        return fig
    labels = _weeks([r[0] for r in rows])
    x = range(len(rows))
    ax.bar(x, [r[1] for r in rows], color=PALETTE[0], label="ended instances")
    ax.bar(x, [r[2] for r in rows], color=PALETTE[1], width=0.45, label="of them recorded")
    ax.set_xticks(list(x), labels, rotation=45, ha="right")
    ax.set_ylabel("meetings")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("ISO week (Monday, UTC)")
    ax.legend(frameon=False)
    return fig


def attendance_distribution(rows: Sequence[Tuple[int, int]]) -> Figure:
    """rows: (attendees, instances with that many)."""
    fig = _figure()
    ax = fig.add_subplot()
    if not rows:
        _empty(ax)
        return fig
    x = list(range(len(rows)))
    ax.bar(x, [r[1] for r in rows], color=PALETTE[2])
    ax.set_xticks(x, [str(r[0]) for r in rows])
    ax.set_xlabel("distinct attendees per instance (0: Zoom lists none, e.g. one-person meetings)")
    ax.set_ylabel("instances")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def top_hosts(rows: Sequence[Tuple[str, int, int]]) -> Figure:
    """rows: (host email, minutes hosted, meetings hosted), largest first."""
    fig = _figure(height=max(2.6, 0.42 * len(rows) + 1.2))
    ax = fig.add_subplot()
    if not rows:
        _empty(ax)
        return fig
    hosts = [r[0] for r in rows][::-1]
    minutes = [r[1] for r in rows][::-1]
    bars = ax.barh(hosts, minutes, color=PALETTE[0])
    ax.bar_label(bars, labels=[f"{r[2]} mtg" for r in rows][::-1], padding=3, fontsize=8)
    ax.set_xlabel("meeting minutes hosted")
    return fig


def talk_time(calls: Sequence[str], speakers: Dict[str, List[float]]) -> Figure:
    """calls: bar labels, most recent first; speakers: speaker → minutes per call (same order)."""
    fig = _figure(height=max(2.6, 0.5 * len(calls) + 1.6))
    ax = fig.add_subplot()
    if not calls:
        _empty(ax, "no transcripts yet")
        return fig
    left = [0.0] * len(calls)
    y = list(range(len(calls)))[::-1]
    for i, (speaker, minutes) in enumerate(speakers.items()):
        color = "#b0b0b0" if speaker == "(unknown)" else PALETTE[i % len(PALETTE)]
        ax.barh(y, minutes, left=left, color=color, label=speaker)
        left = [a + b for a, b in zip(left, minutes, strict=True)]
    ax.set_yticks(y, calls)
    ax.set_xlabel("minutes spoken")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def coverage(rows: Sequence[Tuple[date, int, int, int, int]]) -> Figure:
    """rows: (week_start, ended instances, recorded, with transcript, pushed to Kendo)."""
    fig = _figure()
    ax = fig.add_subplot()
    if not rows:
        _empty(ax)
        return fig
    labels = _weeks([r[0] for r in rows])
    x = list(range(len(rows)))
    ended = [r[1] for r in rows]
    series = [
        ("recorded", [r[2] for r in rows], PALETTE[0]),
        ("with transcript", [r[3] for r in rows], PALETTE[2]),
        ("pushed to Kendo", [r[4] for r in rows], PALETTE[1]),
    ]
    for label, counts, color in series:
        shares = [100.0 * n / total if total else 0.0 for n, total in zip(counts, ended, strict=True)]
        ax.plot(x, shares, marker="o", color=color, label=label)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of ended instances")
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.legend(frameon=False)
    return fig


def kendo_status(rows: Sequence[Tuple[str, int]]) -> Figure:
    """rows: (status, calls)."""
    fig = _figure(height=2.8)
    ax = fig.add_subplot()
    if not rows:
        _empty(ax, "no calls yet")
        return fig
    colors = {"sent": PALETTE[2], "failed": PALETTE[3], "not_ready": "#b0b0b0"}
    bars = ax.bar(
        [r[0] for r in rows],
        [r[1] for r in rows],
        width=0.5,
        color=[colors.get(r[0], PALETTE[1]) for r in rows],
    )
    ax.bar_label(bars, padding=2, fontsize=8)
    ax.set_ylabel("calls")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    return fig
