"""`zoom-pipeline report`: one self-contained HTML file of charts, read from the analyst views only.

Charts are inline SVG (charts.py); the page has no script, no web font and no external URL, so it opens
offline. Queries are written once (DuckDB dialect) and transpiled like the views.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import sqlglot
from sqlglot import exp

from . import charts
from .views import SOURCE_DIALECT, dialect_of

RECENT_CALLS = 6  # talk-time chart: the most recent transcribed calls
TOP_HOSTS = 10

QUERIES = {
    "weeks": "SELECT week_start, ended_instances, recorded, with_transcript, pushed_to_kendo"
    " FROM v_recording_coverage ORDER BY week_start",
    "attendance": "SELECT attendees, COUNT(*) AS instances FROM v_meeting_attendance"
    " GROUP BY attendees ORDER BY attendees",
    "hosts": "SELECT host_email, CAST(SUM(minutes) AS BIGINT) AS minutes,"
    " CAST(SUM(meetings_hosted) AS BIGINT) AS meetings FROM v_host_weekly"
    f" GROUP BY host_email ORDER BY minutes DESC, host_email LIMIT {TOP_HOSTS}",
    "talk": "SELECT meeting_uuid, topic, start_time, speaker, seconds_spoken FROM v_talk_time"
    " WHERE meeting_uuid IN (SELECT meeting_uuid FROM v_talk_time GROUP BY meeting_uuid"
    f" ORDER BY MAX(start_time) DESC NULLS LAST, meeting_uuid LIMIT {RECENT_CALLS})"
    " ORDER BY start_time DESC NULLS LAST, meeting_uuid, seconds_spoken DESC, speaker",
    "kendo": "SELECT status, COUNT(*) AS calls FROM v_kendo_status GROUP BY status ORDER BY calls DESC, status",
    "totals": "SELECT COUNT(*), CAST(COALESCE(SUM(duration_minutes), 0) AS BIGINT),"
    " CAST(COALESCE(SUM(attendees), 0) AS BIGINT), MIN(start_time), MAX(start_time) FROM v_meeting_attendance",
}


def _qualified(query: str, dataset: str, dialect: str) -> str:
    tree = sqlglot.parse_one(query, read=SOURCE_DIALECT)

    def qualify(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and not node.db and node.name.startswith("v_"):
            return exp.table_(node.name, db=dataset, quoted=True, alias=node.alias or None)
        return node

    return tree.transform(qualify).sql(dialect=dialect)


def read_views(pipeline: Any) -> Dict[str, List[Tuple[Any, ...]]]:
    """Runs the report's queries on the views of the pipeline's dataset."""
    with pipeline.sql_client() as client:
        dialect = dialect_of(client)
        out: Dict[str, List[Tuple[Any, ...]]] = {}
        for name, query in QUERIES.items():
            rows = client.execute_sql(_qualified(query, client.dataset_name, dialect))
            out[name] = [tuple(r) for r in rows or []]
    return out


def _talk_chart_data(rows: List[Tuple[Any, ...]]) -> Tuple[List[str], Dict[str, List[float]]]:
    calls: List[str] = []
    index: Dict[str, int] = {}
    for uuid, topic, start, _speaker, _seconds in rows:
        if uuid not in index:
            index[uuid] = len(calls)
            when = start.astimezone(UTC).strftime("%d %b %H:%M") if start else "?"
            calls.append(f"{(topic or '(no topic)')[:28]} · {when}")
    speakers: Dict[str, List[float]] = defaultdict(lambda: [0.0] * len(calls))
    for uuid, _topic, _start, speaker, seconds in rows:
        speakers[speaker][index[uuid]] += float(seconds or 0) / 60
    # the unknown speaker last, so the named ones keep their colours across reports
    ordered = dict(sorted(speakers.items(), key=lambda kv: (kv[0] == "(unknown)", -sum(kv[1]), kv[0])))
    return calls, ordered


def build_charts(data: Dict[str, List[Tuple[Any, ...]]]) -> List[Tuple[str, str, Callable[[], Any]]]:
    """(id, title, figure maker) per chart, in page order."""
    weeks = data["weeks"]
    calls, speakers = _talk_chart_data(data["talk"])
    return [
        ("meetings-per-week", "Meetings per week", lambda: charts.meetings_per_week([w[:3] for w in weeks])),
        (
            "attendance",
            "Attendance distribution",
            lambda: charts.attendance_distribution([(int(a), int(n)) for a, n in data["attendance"]]),
        ),
        (
            "top-hosts",
            f"Top {TOP_HOSTS} hosts by meeting minutes",
            lambda: charts.top_hosts([(h, int(m), int(n)) for h, m, n in data["hosts"]]),
        ),
        (
            "talk-time",
            f"Talk time by speaker, {RECENT_CALLS} most recent transcribed calls",
            lambda: charts.talk_time(calls, speakers),
        ),
        (
            "coverage",
            "Recording, transcript and Kendo coverage per week",
            lambda: charts.coverage([tuple(w) for w in weeks]),  # type: ignore[misc]
        ),
        ("kendo-status", "Calls by Kendo push status", lambda: charts.kendo_status(data["kendo"])),
    ]


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto;
  max-width: 900px; color: #222; background: #fff; }}
h1 {{ font-size: 22px; margin-bottom: 4px; }}
p.meta {{ color: #666; margin-top: 0; }}
figure.chart {{ margin: 28px 0; padding: 12px; border: 1px solid #e3e3e3; border-radius: 6px; }}
figure.chart figcaption {{ font-weight: 600; margin-bottom: 8px; }}
figure.chart svg {{ width: 100%; height: auto; }}
table.totals td {{ padding: 2px 14px 2px 0; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="meta">Dataset <code>{dataset}</code> · written {written} UTC · from the analyst views (docs/ANALYST.md)</p>
<table class="totals">{totals}</table>
{figures}
</body>
</html>
"""


def render_html(data: Dict[str, List[Tuple[Any, ...]]], dataset: str) -> str:
    """The whole page as one string."""
    figures = []
    for chart_id, title, make in build_charts(data):
        svg = charts.to_svg(make(), chart_id)
        figures.append(
            f'<figure class="chart" id="{chart_id}">'
            f'<figcaption id="{chart_id}-title">{html.escape(title)}</figcaption>\n{svg}</figure>'
        )
    n, minutes, attendees, first, last = data["totals"][0] if data["totals"] else (0, 0, 0, None, None)
    span = f"{first:%Y-%m-%d} – {last:%Y-%m-%d}" if first and last else "–"
    totals = "".join(
        f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(str(v))}</b></td></tr>"
        for k, v in [
            ("ended instances", n),
            ("meeting minutes", minutes),
            ("attendees (summed per instance)", attendees),
            ("first – last start", span),
        ]
    )
    return PAGE.format(
        title="Zoom meetings report",
        dataset=html.escape(dataset),
        written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        totals=totals,
        figures="\n".join(figures),
    )


def require_loaded(pipeline: Any) -> None:
    """Raises ValueError (one line, naming --dataset) when the dataset holds no loaded meetings."""
    with pipeline.sql_client() as client:
        if not client.has_dataset():
            raise ValueError(
                f"no dataset {pipeline.dataset_name!r} in the warehouse: load it with `zoom-pipeline run`, or set --dataset"
            )


def write_report(pipeline: Any, out: str) -> Path:
    """Reads the views of the pipeline's dataset and writes the HTML report to `out`. Returns its path."""
    data = read_views(pipeline)
    path = Path(out).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(data, pipeline.dataset_name), encoding="utf-8")
    return path
