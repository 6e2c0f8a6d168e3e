"""Ctrl-C and SIGTERM, once: the first signal asks the run to stop, the second (or a stop that hangs) ends it.

The first signal only sets an event: the Zoom client starts no new request, the Kendo push starts no new
POST and lets the ones in flight finish or become `uncertain`, and the load walks no further step. What
finished is committed already (every step is its own dlt run), so the CLI exits 130 and a re-run resumes.
No KeyboardInterrupt is raised into dlt's threads, which is what used to hang the demo and break
generators. If the run has not ended `GRACE_SECONDS` after the signal, or a second signal comes, the
process exits 130 at once: a killed load is replayed by the next run (pipelines/safe_load.py), and a claimed
call is settled as `uncertain`, never posted twice.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Optional

logger = logging.getLogger("pipelines")

GRACE_SECONDS = 8.0
MESSAGE = "zoom-pipeline: interrupted; finished steps are kept, run again to resume"
EXIT_INTERRUPTED = 130
DLT_INTERCEPT_SIGNALS = "RUNTIME__INTERCEPT_SIGNALS"  # dlt's PipelineRuntimeConfiguration.intercept_signals


class Interrupted(Exception):
    """The run stopped because it was asked to (Ctrl-C / SIGTERM)."""


class StopOnSignal:
    """Installs SIGINT / SIGTERM handlers for the life of a `with` block; `event` is set on the first signal."""

    def __init__(self, grace_seconds: float = GRACE_SECONDS) -> None:
        self.event = threading.Event()
        self.grace_seconds = grace_seconds
        self._said = threading.Lock()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopOnSignal":
        if threading.current_thread() is threading.main_thread():
            # dlt's own handlers (normalize, load) would take the signal from us and abort a load midway;
            # with ours, the step in progress commits and the run stops after it
            os.environ[DLT_INTERCEPT_SIGNALS] = "false"
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def say_interrupted(self) -> None:
        """Prints the one interrupted line, once per process."""
        if self._said.acquire(blocking=False):
            # threads still winding down (retries against a server that is gone) must not log after it:
            # the interrupted line is the last thing the user reads
            logging.disable(logging.CRITICAL)
            print(MESSAGE, file=sys.stderr, flush=True)

    def _on_signal(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.event.is_set():  # a second signal: stop now
            self._exit_now()
        self.event.set()
        logger.warning("%s received: finishing what is in flight, then stopping", signal.Signals(signum).name)
        threading.Thread(target=self._watchdog, name="stop-watchdog", daemon=True).start()

    def _watchdog(self) -> None:
        threading.Event().wait(self.grace_seconds)
        self._exit_now()

    def _exit_now(self) -> None:
        self.say_interrupted()
        sys.stdout.flush()
        os._exit(EXIT_INTERRUPTED)
