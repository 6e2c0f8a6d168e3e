"""A refused token during a file download stops the run instead of filing the transcript as a bad file
(which would move the cursor past it, so it never loads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from zoom_helpers import make_client

from emulators.zoom import ZoomEmulator
from sources.zoom.errors import ZoomAuthError


def test_a_refused_token_while_downloading_is_the_run_s_error_not_the_file_s() -> None:
    with ZoomEmulator(seed=3, users=2, days_of_history=20, rate_limits=False) as emu:
        client = make_client(emu)
        user = next(iter(client.paginate("users")))[0]["id"]
        today = datetime.now(UTC).date()
        params = {"from": (today - timedelta(days=25)).isoformat(), "to": today.isoformat()}
        meeting = next(m for page in client.paginate("recordings", params, user_id=user) for m in page)
        url = meeting["recording_files"][0]["download_url"]

        client.auth.credentials.client_secret = "rotated-by-an-admin"  # the app's secret changed mid-run
        client.auth.invalidate(None)
        with pytest.raises(ZoomAuthError):
            client.download_bytes(url)
