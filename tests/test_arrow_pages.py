"""Participant pages become typed Arrow tables, and fall back to dicts when Zoom sends what we can't type."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from sources.zoom.arrow_pages import participant_table

KEY = ("meeting_uuid", "user_id", "join_time")
ROW = {
    "meeting_uuid": "/ab//c==",
    "meeting_id": 85012345678,
    "id": "u1",
    "user_id": "16778240",
    "name": "Zoë",
    "user_email": "zoe@example.com",
    "join_time": datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    "leave_time": datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
    "duration": 1800,
    "failover": False,
    "status": "in_meeting",
}


def test_known_fields_make_a_typed_table_with_non_null_keys() -> None:
    table = participant_table(
        [ROW, dict(ROW, user_id="16778241", leave_time=None)], {"meeting_uuid", "meeting_id"}, KEY
    )
    assert isinstance(table, pa.Table)
    schema = table.schema
    assert schema.field("join_time").type == pa.timestamp("us", tz="UTC")
    assert schema.field("duration").type == pa.int64()
    assert schema.field("failover").type == pa.bool_()
    assert schema.field("meeting_id").type == pa.int64()
    assert not schema.field("join_time").nullable and schema.field("leave_time").nullable
    assert table.column("meeting_uuid").to_pylist() == ["/ab//c==", "/ab//c=="]


def test_unknown_field_or_untypable_value_falls_back_to_dicts() -> None:
    assert participant_table([dict(ROW, brand_new_field="x")], {"meeting_uuid", "meeting_id"}, KEY) is None
    assert participant_table([dict(ROW, duration=12.5)], {"meeting_uuid", "meeting_id"}, KEY) is None
    assert participant_table([dict(ROW, user_id=None)], {"meeting_uuid", "meeting_id"}, KEY) is None
