"""`zoom-pipeline report` opened in a real headless Chromium: at least 5 charts render, the page asks for
nothing but itself, and the screenshot `--screenshot` takes is not blank.

Chromium is required under CI=true (.ci/run installs Debian's `chromium`); locally the tests skip without it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from headless_chromium import visit
from zoom_helpers import cli_env

from emulators.zoom import ZoomEmulator
from pipelines.analyst.screenshot import find_chromium

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
START = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(
                "CI=true but no chromium: .ci/run installs Debian's chromium; the report test must run"
            )
        pytest.skip("no chromium installed (Debian: apt-get install chromium)")
    return binary


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Iterator[Dict[str, Any]]:
    """`zoom-pipeline run` (which creates the views) then `zoom-pipeline report --screenshot`, as a user runs them."""
    tmp = tmp_path_factory.mktemp("report")
    with ZoomEmulator(seed=23, users=3, days_of_history=36, rate_limits=False) as emu:
        env = cli_env(emu, tmp)
        db = str(tmp / "zoom_pipeline.duckdb")
        run = subprocess.run(
            [SCRIPT, "run", "--duckdb-path", db, "--start-date", START],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Analyst views: v_attendee_sessions, v_meeting_attendance" in run.stdout
    yield {"db": Path(db), "env": env, "tmp": tmp}


def _report(report: Dict[str, Any], chromium: str, name: str) -> Dict[str, Path]:
    out, png = report["tmp"] / f"{name}.html", report["tmp"] / f"{name}.png"
    done = subprocess.run(
        [SCRIPT, "report", "--duckdb-path", str(report["db"]), "--out", str(out), "--screenshot", str(png)],
        env=report["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Report: {out}" in done.stdout
    return {"html": out, "png": png}


def test_report_renders_five_charts_offline_and_its_screenshot_is_not_blank(chromium, report) -> None:
    made = _report(report, chromium, "zoom_report")
    page = made["html"]

    seen = visit(chromium, page)
    # every request the page started, its own document included: nothing but the file itself
    assert seen.requests == [page.resolve().as_uri()], seen.requests
    drawn = [
        c for c in seen.charts if c["svg"] and c["width"] > 100 and c["height"] > 100 and c["marks"] > 20
    ]
    assert len(drawn) >= 5, seen.charts

    # the file itself names nothing to fetch: no script, no stylesheet or font link, no external URL
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "@import" not in text and "@font-face" not in text
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", text), "a src/href that is not a #fragment"
    assert not re.search(r"url\((?!#)", text), "a CSS url() that is not a #fragment"
    namespaces = re.sub(r'xmlns(?::\w+)?="http://www\.w3\.org/[^"]*"', "", text)
    assert "http:" not in namespaces and "https:" not in namespaces

    from PIL import Image, ImageStat

    with Image.open(made["png"]) as shot:
        assert shot.size[0] >= 800 and shot.size[1] >= 800
        grey = shot.convert("L")
        spread = ImageStat.Stat(grey).stddev[0]
        colours = len(shot.convert("RGB").getcolors(maxcolors=1 << 20) or [])
    assert spread > 20, f"screenshot looks blank (grey-level stddev {spread:.1f})"
    assert colours > 50, f"screenshot looks blank ({colours} colours)"


def test_the_request_check_sees_a_page_that_fetches(tmp_path, chromium) -> None:
    """The control: the same visit lists external requests when a page makes them (none get through)."""
    page = tmp_path / "fetches.html"
    page.write_text(
        '<html><body><img src="http://example.com/a.png"><img src="https://example.org/b.png"></body></html>'
    )
    seen = visit(chromium, page)
    assert "http://example.com/a.png" in seen.requests
    assert "https://example.org/b.png" in seen.requests
