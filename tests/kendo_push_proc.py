"""Child process for the crash tests: runs `push_calls` against a warehouse and prints the summary as JSON.

argv[1] is JSON: {"warehouse": Warehouse.spec(), "push": push_calls kwargs, plus optional
"kill_after_sent": n}. With `kill_after_sent`, the process SIGKILLs itself right after Kendo's n-th 201
and before that call's `sent` row is written: the ledger-write window.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

from kendo_helpers import Warehouse

from destinations.kendo import Ledger, push_calls


def main() -> None:
    args = json.loads(sys.argv[1])
    warehouse = Warehouse(**args["warehouse"])
    push = dict(args["push"])
    kill_after = push.pop("kill_after_sent", None)
    if kill_after:
        original = Ledger.mark_sent
        lock = threading.Lock()
        seen = [0]

        def mark_sent_then_die(self: Ledger, uuid: str, call_id: str | None) -> None:
            with lock:
                seen[0] += 1
                if seen[0] >= kill_after:
                    print(json.dumps({"killed_before_sent": uuid}), flush=True)
                    os.kill(os.getpid(), signal.SIGKILL)
            original(self, uuid, call_id)

        Ledger.mark_sent = mark_sent_then_die  # type: ignore[method-assign]
    summary = push_calls(warehouse.pipeline(), **push)
    print(json.dumps(summary.counts()), flush=True)


if __name__ == "__main__":
    main()
