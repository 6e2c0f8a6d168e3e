"""The analyst views, written once in DuckDB's dialect; views.py transpiles them for each warehouse.

Every column is documented in docs/ANALYST.md. Rules that keep DuckDB and Postgres answers identical:
integer sums are cast to BIGINT (Postgres sums to numeric), ratios are DOUBLE divisions of exact integers,
and weeks are taken from UTC (`AT TIME ZONE 'UTC'`), never from the session's time zone.
"""

from __future__ import annotations

# both participant tables (past meetings, reports) are read through the same columns
_PARTICIPANT_COLUMNS = {
    "meeting_uuid": "TEXT",
    "meeting_id": "BIGINT",
    "id": "TEXT",
    "name": "TEXT",
    "user_email": "TEXT",
    "join_time": "TIMESTAMPTZ",
    "leave_time": "TIMESTAMPTZ",
    "duration": "BIGINT",
    "internal_user": "BOOLEAN",
}

# The columns each view reads from each loaded table, with their warehouse types. A table or column that is
# missing (never loaded, or no value ever seen) reads as an empty or NULL column, so the views always create.
SOURCE_COLUMNS: dict[str, dict[str, str]] = {
    "users": {"id": "TEXT", "email": "TEXT"},
    "past_meetings": {
        "uuid": "TEXT",
        "id": "BIGINT",
        "topic": "TEXT",
        "host_id": "TEXT",
        "user_email": "TEXT",
        "start_time": "TIMESTAMPTZ",
        "duration": "BIGINT",
    },
    "meeting_participants": _PARTICIPANT_COLUMNS,
    "report_meeting_participants": _PARTICIPANT_COLUMNS,
    "recordings": {"uuid": "TEXT"},
    "transcripts": {"meeting_uuid": "TEXT"},
    "transcript_segments": {
        "meeting_uuid": "TEXT",
        "sequence": "BIGINT",
        "speaker": "TEXT",
        "start_ms": "BIGINT",
        "end_ms": "BIGINT",
        "text": "TEXT",
    },
    "calls": {
        "meeting_uuid": "TEXT",
        "meeting_id": "BIGINT",
        "title": "TEXT",
        "rep_email": "TEXT",
        "call_date": "TIMESTAMPTZ",
        "duration_minutes": "BIGINT",
        "ready": "BOOLEAN",
    },
    "kendo_sync": {
        "zoom_meeting_uuid": "TEXT",
        "kendo_call_id": "TEXT",
        "status": "TEXT",
        "error": "TEXT",
        "attempts": "BIGINT",
        "first_attempt_at": "TIMESTAMPTZ",
        "last_attempt_at": "TIMESTAMPTZ",
        "sent_at": "TIMESTAMPTZ",
    },
}

# One person per instance: the email (lower case) when Zoom gives one, else the display name.
_PERSON_KEY = (
    "CASE WHEN COALESCE(TRIM(user_email), '') <> '' THEN LOWER(TRIM(user_email))"
    " ELSE 'name:' || COALESCE(name, '') END"
)

# Views in creation order (a view reads only the views before it).
VIEWS: dict[str, str] = {
    # one row per person per instance, rejoins merged. Participants come from GET /past_meetings/{uuid}/
    # participants; an instance that table lacks (e.g. it was not loaded) takes the report's rows instead.
    "v_attendee_sessions": f"""
WITH joined AS (
    SELECT meeting_uuid, meeting_id, id, name, user_email, join_time, leave_time, duration,
        internal_user, 'past_meetings' AS source
    FROM meeting_participants
    UNION ALL
    SELECT r.meeting_uuid, r.meeting_id, r.id, r.name, r.user_email, r.join_time, r.leave_time,
        r.duration, r.internal_user, 'report' AS source
    FROM report_meeting_participants AS r
    WHERE NOT EXISTS (SELECT 1 FROM meeting_participants AS p WHERE p.meeting_uuid = r.meeting_uuid)
), keyed AS (
    SELECT *, {_PERSON_KEY} AS person_key FROM joined
)
SELECT
    k.meeting_uuid,
    MAX(k.meeting_id) AS meeting_id,
    k.person_key,
    MAX(k.name) AS name,
    MAX(NULLIF(TRIM(k.user_email), '')) AS email,
    CASE WHEN COALESCE(BOOL_OR(k.internal_user), FALSE) OR BOOL_OR(u.id IS NOT NULL)
        THEN 'internal' ELSE 'guest' END AS attendee_type,
    MIN(k.join_time) AS first_join,
    MAX(k.leave_time) AS last_leave,
    COUNT(*) AS sessions,
    CAST(COALESCE(SUM(k.duration), 0) AS BIGINT) AS total_seconds,
    MIN(k.source) AS source
FROM keyed AS k
LEFT JOIN users AS u ON u.id = k.id AND k.id <> ''
GROUP BY k.meeting_uuid, k.person_key
""",
    "v_meeting_attendance": """
WITH people AS (
    SELECT
        s.meeting_uuid,
        COUNT(*) AS attendees,
        CAST(SUM(s.sessions) AS BIGINT) AS sessions,
        CAST(SUM(s.total_seconds) AS DOUBLE) / COUNT(*) / 60 AS avg_minutes_attended,
        CAST(SUM(CASE WHEN s.first_join > pm.start_time + INTERVAL 5 MINUTE THEN 1 ELSE 0 END) AS BIGINT)
            AS late_joiners
    FROM v_attendee_sessions AS s
    JOIN past_meetings AS pm ON pm.uuid = s.meeting_uuid
    GROUP BY s.meeting_uuid
)
SELECT
    pm.uuid AS meeting_uuid,
    pm.id AS meeting_id,
    pm.topic,
    COALESCE(NULLIF(pm.user_email, ''), u.email) AS host_email,
    pm.start_time,
    pm.duration AS duration_minutes,
    COALESCE(p.attendees, 0) AS attendees,
    COALESCE(p.sessions, 0) AS sessions,
    p.avg_minutes_attended,
    COALESCE(p.late_joiners, 0) AS late_joiners,
    EXISTS (SELECT 1 FROM recordings AS r WHERE r.uuid = pm.uuid) AS recorded,
    EXISTS (SELECT 1 FROM transcripts AS t WHERE t.meeting_uuid = pm.uuid) AS has_transcript,
    CAST(DATE_TRUNC('week', pm.start_time AT TIME ZONE 'UTC') AS DATE) AS week_start
FROM past_meetings AS pm
LEFT JOIN users AS u ON u.id = pm.host_id
LEFT JOIN people AS p ON p.meeting_uuid = pm.uuid
""",
    # cues without a speaker are talk too: they count as '(unknown)'
    "v_talk_time": """
WITH cues AS (
    SELECT
        meeting_uuid,
        COALESCE(NULLIF(TRIM(speaker), ''), '(unknown)') AS speaker,
        end_ms - start_ms AS talk_ms,
        CASE WHEN TRIM(COALESCE(text, '')) = '' THEN 0
            ELSE ARRAY_LENGTH(REGEXP_SPLIT_TO_ARRAY(TRIM(text), '[[:space:]]+'), 1) END AS words
    FROM transcript_segments
), per_speaker AS (
    SELECT meeting_uuid, speaker, COUNT(*) AS cues, CAST(SUM(talk_ms) AS BIGINT) AS talk_ms,
        CAST(SUM(words) AS BIGINT) AS words
    FROM cues
    GROUP BY meeting_uuid, speaker
)
SELECT
    t.meeting_uuid,
    pm.id AS meeting_id,
    pm.topic,
    pm.start_time,
    t.speaker,
    t.cues,
    t.talk_ms,
    CAST(t.talk_ms AS DOUBLE) / 1000 AS seconds_spoken,
    t.words,
    CAST(t.talk_ms AS DOUBLE)
        / NULLIF(CAST(SUM(t.talk_ms) OVER (PARTITION BY t.meeting_uuid) AS DOUBLE), 0) AS share_of_talk
FROM per_speaker AS t
LEFT JOIN past_meetings AS pm ON pm.uuid = t.meeting_uuid
""",
    "v_host_weekly": """
SELECT
    COALESCE(host_email, '(unknown)') AS host_email,
    week_start,
    CAST(EXTRACT(ISOYEAR FROM week_start) AS INT) AS iso_year,
    CAST(EXTRACT(WEEK FROM week_start) AS INT) AS iso_week,
    COUNT(*) AS meetings_hosted,
    CAST(SUM(duration_minutes) AS BIGINT) AS minutes,
    CAST(SUM(attendees) AS BIGINT) AS attendees,
    CAST(SUM(CASE WHEN recorded THEN 1 ELSE 0 END) AS BIGINT) AS recorded,
    CAST(SUM(CASE WHEN has_transcript THEN 1 ELSE 0 END) AS BIGINT) AS with_transcript
FROM v_meeting_attendance
GROUP BY COALESCE(host_email, '(unknown)'), week_start
""",
    "v_recording_coverage": """
SELECT
    a.week_start,
    CAST(EXTRACT(ISOYEAR FROM a.week_start) AS INT) AS iso_year,
    CAST(EXTRACT(WEEK FROM a.week_start) AS INT) AS iso_week,
    COUNT(*) AS ended_instances,
    CAST(SUM(CASE WHEN a.recorded THEN 1 ELSE 0 END) AS BIGINT) AS recorded,
    CAST(SUM(CASE WHEN a.has_transcript THEN 1 ELSE 0 END) AS BIGINT) AS with_transcript,
    CAST(SUM(CASE WHEN k.status = 'sent' THEN 1 ELSE 0 END) AS BIGINT) AS pushed_to_kendo,
    CAST(SUM(CASE WHEN k.status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS kendo_failed,
    CAST(SUM(CASE WHEN k.status IN ('pending', 'sending', 'uncertain') THEN 1 ELSE 0 END) AS BIGINT)
        AS kendo_unfinished
FROM v_meeting_attendance AS a
LEFT JOIN kendo_sync AS k ON k.zoom_meeting_uuid = a.meeting_uuid
GROUP BY a.week_start
""",
    "v_kendo_status": """
SELECT
    c.meeting_uuid,
    c.meeting_id,
    c.title,
    c.rep_email,
    c.call_date,
    c.duration_minutes,
    c.ready,
    COALESCE(k.status, CASE WHEN c.ready THEN 'not_pushed' ELSE 'not_ready' END) AS status,
    k.kendo_call_id,
    COALESCE(k.attempts, 0) AS attempts,
    k.error AS last_error,
    k.first_attempt_at,
    k.last_attempt_at,
    k.sent_at
FROM calls AS c
LEFT JOIN kendo_sync AS k ON k.zoom_meeting_uuid = c.meeting_uuid
""",
}
