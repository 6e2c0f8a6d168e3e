"""`ZoomEmulator`: the Zoom emulator as a context manager, with Python helpers for the admin routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from .._server import BackgroundServer
from .app import State, build_app
from .config import Knobs


class ZoomEmulator:
    """Serves an emulated Zoom account on 127.0.0.1.

    Args:
        port: TCP port (0 picks a free one).
        **knobs: see `emulators.zoom.config.Knobs` (seed, users, latency_ms, plan, rate_limits, ...).
    """

    def __init__(self, port: int = 0, **knobs: Any) -> None:
        self.state = State(Knobs(**knobs))
        self.server = BackgroundServer(build_app(self.state), port=port)
        self.state.base_url = self.server.base_url
        self._http = requests.Session()

    # ---------------------------------------------------------------- addresses and credentials
    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v2"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth/token"

    @property
    def account_id(self) -> str:
        return self.state.knobs.account_id

    @property
    def client_id(self) -> str:
        return self.state.knobs.client_id

    @property
    def client_secret(self) -> str:
        return self.state.knobs.client_secret

    @property
    def refresh_token(self) -> str:
        """The refresh token valid right now (user-OAuth tests start from it; each use rotates it)."""
        return self.state.tokens.refresh_token

    def banner(self) -> dict:
        return {
            "api_base": self.api_base,
            "token_url": self.token_url,
            "server_url": self.base_url,
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
        }

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> ZoomEmulator:
        self.server.start()
        return self

    def stop(self) -> None:
        self._http.close()
        self.server.stop()

    def __enter__(self) -> ZoomEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---------------------------------------------------------------- helpers over the admin routes
    def _admin(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self._http.request(method, f"{self.base_url}/_emulator/{path}", timeout=30, **kwargs)
        resp.raise_for_status()
        return resp.json()

    def access_token(self) -> str:
        """A fresh S2S access token (convenience for tests)."""
        resp = self._http.post(
            self.token_url,
            params={"grant_type": "account_credentials", "account_id": self.account_id},
            auth=(self.client_id, self.client_secret),
            timeout=30,
        )
        resp.raise_for_status()
        return resp.json()["access_token"]

    def revoke_access_tokens(self) -> None:
        """Every issued access token stops working (as when Zoom invalidates tokens minted too fast)."""
        self.state.tokens.access.clear()

    def truth(self, **query: Any) -> dict:
        """GET /_emulator/truth (optional from=/to= dates limit time-bound tables)."""
        return self._admin("GET", "truth", params={k: str(v) for k, v in query.items()})

    def stats(self) -> dict:
        return self._admin("GET", "stats")

    def config(self) -> dict:
        return self._admin("GET", "config")

    def configure(self, **knobs: Any) -> dict:
        """POST /_emulator/config: change knobs at run time (e.g. latency_ms=100, force_429=3)."""
        if isinstance(knobs.get("now"), datetime):
            knobs["now"] = knobs["now"].isoformat()
        return self._admin("POST", "config", json=knobs)

    def add_meeting(self, start_time: datetime | str | None = None, **fields: Any) -> dict:
        """POST /_emulator/meetings: a new ended instance, recorded unless recorded=False.

        Fields: user, topic, duration, participants, transcript, audio, processing, recorded, meeting_id,
        late_joiners (people who first join 6+ minutes after the start).
        """
        if start_time is not None:
            fields["start_time"] = start_time.isoformat() if isinstance(start_time, datetime) else start_time
        return self._admin("POST", "meetings", json=fields)

    def update_meeting(self, meeting_id: int, **fields: Any) -> dict:
        """POST /_emulator/meetings/{id}: edit a meeting (topic, agenda, duration) as its host would."""
        return self._admin("POST", f"meetings/{meeting_id}", json=fields)

    def complete_recording(self, uuid: str, transcript: bool = True) -> dict:
        """POST /_emulator/recordings/{uuid}/complete: a processing recording finishes."""
        return self._admin(
            "POST", f"recordings/{quote(uuid, safe='')}/complete", json={"transcript": transcript}
        )

    def delete_recording(self, uuid: str, trash: bool = True) -> dict:
        """POST /_emulator/recordings/{uuid}/delete: the recording leaves the account; recording.trashed
        (or recording.deleted) is sent to the webhook subscription."""
        return self._admin("POST", f"recordings/{quote(uuid, safe='')}/delete", json={"trash": trash})

    def recover_recording(self, uuid: str) -> dict:
        """POST /_emulator/recordings/{uuid}/recover: a trashed recording comes back; recording.recovered
        (with a download_token) is sent to the webhook subscription."""
        return self._admin("POST", f"recordings/{quote(uuid, safe='')}/recover")

    def delete_meeting(self, meeting_id: int, occurrence: bool = False) -> dict:
        """POST /_emulator/meetings/{id}/delete: the meeting leaves the account (its past instances stay
        readable by UUID); meeting.deleted is sent to the webhook subscription. `occurrence`: only its next
        occurrence is deleted (`operation: "single"`); the meeting stays."""
        return self._admin("POST", f"meetings/{meeting_id}/delete", json={"occurrence": occurrence})

    def phone_recording_object(self, recording_id: str) -> dict:
        """The `object` of a `phone.recording_completed` event for one phone recording."""
        rec = self.state.data.phone.recording(recording_id)
        if rec is None:
            raise KeyError(recording_id)
        return {"recordings": [rec.json(self.base_url)]}

    # ---------------------------------------------------------------- webhooks (admin_webhooks.py)
    def subscribe_webhooks(self, url: str, secret: str, time_scale: float = 1.0, duplicates: int = 0) -> dict:
        """Events go to `url`, signed with `secret`; retry delays (5, 20, 60 min) are scaled by `time_scale`."""
        return self._admin(
            "POST",
            "webhooks/subscription",
            json={"url": url, "secret": secret, "time_scale": time_scale, "duplicates": duplicates},
        )

    def validate_webhook_url(self, plain_token: str | None = None) -> dict:
        return self._admin("POST", "webhooks/validate", json={"plain_token": plain_token})

    def send_webhook(
        self, event: str, obj: dict, extra: dict | None = None, event_ts: int | None = None
    ) -> dict:
        """Sends one event now; answers after its first attempt(s) ({"deliveries": [...], "body": ...})."""
        return self._admin(
            "POST",
            "webhooks/send",
            json={"event": event, "object": obj, "extra": extra, "event_ts": event_ts},
        )

    def forged_webhook(self, forge: str, event: str = "meeting.ended", obj: dict | None = None) -> dict:
        return self._admin(
            "POST", "webhooks/forged", json={"forge": forge, "event": event, "object": obj or {}}
        )

    def webhook_burst(self, count: int) -> dict:
        return self._admin("POST", "webhooks/burst", json={"count": count})

    def webhook_deliveries(self) -> dict:
        """{"log": [every attempt], "pending": deliveries in flight or waiting for a retry}."""
        return self._admin("GET", "webhooks/deliveries")

    def finish_phone_transcript(self, recording_id: str) -> dict:
        """POST /_emulator/phone/recordings/{id}/transcribe: a transcript still being made (12002) is done;
        `phone.recording_transcript_completed` goes to the webhook subscription."""
        return self._admin("POST", f"phone/recordings/{quote(recording_id, safe='')}/transcribe")

    def reset(self) -> dict:
        return self._admin("POST", "reset")
