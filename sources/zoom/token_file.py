"""One Server-to-Server access token per Zoom account, shared by every process on the machine.

Forum reports say that minting many S2S tokens quickly can invalidate earlier ones (ZOOM_API.md §1.1), and
a run, a push and the webhook server of one account all need one. So the token lives in a file (mode 0600,
`<dlt data dir>/zoom/tokens/<hash of token URL, account and client>.json`), and whoever finds it missing
or about to expire fetches the next one under an exclusive `flock` on a lock file beside it: the others
wait for the lock and then read the new token instead of asking Zoom. The lock is released by the
operating system if its holder dies. A token Zoom rejected (401) is never handed out from the file again.
The token is never logged; the file name holds no secret.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

logger = logging.getLogger(__name__)


class TokenFile:
    """The shared token of one account.

    Args:
        path: the JSON file; its lock is `<path>.lock`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @classmethod
    def for_account(
        cls, token_url: str, account_id: str, client_id: str, directory: str | Path | None = None
    ) -> "TokenFile":
        if directory is None:
            import dlt

            directory = Path(dlt.current.run_context().data_dir) / "zoom" / "tokens"
        tag = hashlib.sha256(f"{token_url}\n{account_id}\n{client_id}".encode()).hexdigest()[:20]
        return cls(Path(directory) / f"s2s_{tag}.json")

    def read(self) -> Optional[dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        return data

    def write(self, record: dict[str, Any]) -> None:
        """Atomically (temp file + rename), mode 0600 from the start."""
        fd, tmp = tempfile.mkstemp(prefix=".token.", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    def get(
        self,
        fetch: Callable[[], dict[str, Any]],
        margin: Callable[[float], float],
        rejected: Optional[str] = None,
        now: Callable[[], float] = time.time,
    ) -> dict[str, Any]:
        """A token response good for longer than its refresh margin: the file's, or `fetch()`'s (then saved).

        `rejected` is a token Zoom refused: the file's is not used if it is that one."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held while fetching: the others wait, then read the new one
            record = self.read()
            if record is not None and record["access_token"] != rejected:
                ttl = float(record.get("expires_in") or 3600)
                if now() < float(record.get("expires_at") or 0) - margin(ttl):
                    record = dict(record)
                    # refresh when the process that fetched it would: its margin, counted from its expiry
                    record["refresh_in"] = float(record["expires_at"]) - margin(ttl) - now()
                    return record
            body = fetch()
            try:
                ttl = float(body.get("expires_in") or 3600)
            except (TypeError, ValueError):
                ttl = 3600.0
            saved: dict[str, Any] = {k: body[k] for k in ("access_token", "api_url", "scope") if k in body}
            saved.update(expires_in=ttl, expires_at=now() + ttl)
            self.write(saved)
            logger.debug("saved a shared Zoom access token to %s", self.path)
            return body
        finally:
            os.close(fd)  # drops the flock
