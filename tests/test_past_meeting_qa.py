"""Q&A rows (past_meeting_qa): one per question; Zoom gives questions no id or time, so `occurrence`
keeps a repeated question; anything but an asker object is passed on for rejected_rows."""

from __future__ import annotations

from sources.zoom.past_meetings import qa_rows
from sources.zoom.rejects import screened
from sources.zoom.run_context import RunStats, ZoomRun
from sources.zoom.settings import REJECTED_ROWS_TABLE


def test_the_same_question_asked_twice_is_two_rows() -> None:
    asker = {
        "name": "Ann",
        "email": "",
        "question_details": [{"question": "Slides?"}, {"question": "Slides?"}],
    }
    rows = qa_rows([asker, None], meeting_uuid="u1", meeting_id=7)
    assert [(r["question"], r["occurrence"]) for r in rows[:2]] == [("Slides?", 1), ("Slides?", 2)]
    assert rows[2] is None

    run = ZoomRun(None, None, None, 0, False, stats=RunStats())  # type: ignore[arg-type]
    items = screened(run, "past_meeting_qa", rows)
    kept = [r for item in items if isinstance(item, list) for r in item]
    assert len(kept) == 2
    assert run.stats.rejected == {"past_meeting_qa": 1}
    assert any(getattr(i, "meta", None) and i.meta.table_name == REJECTED_ROWS_TABLE for i in items)
