"""A DevTools session with headless Chromium over `--remote-debugging-pipe`, for the report tests: it lists
every network request the page makes and reads the rendered DOM (screenshots: pipelines/analyst/screenshot.py).

The DevTools session is what makes "no request left the machine" exact: Chromium reports each request the
page starts (`Network.requestWillBeSent`, any scheme), while its own background traffic (update checks,
sign-in) belongs to other targets and is not counted. Name resolution is disabled as well, so nothing
could leave even if a request were made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from pipelines.analyst.screenshot import HEADLESS, browser_env


@dataclass
class PageVisit:
    requests: List[str] = field(default_factory=list)  # every URL the page asked for, the page itself too
    charts: List[Dict[str, Any]] = field(default_factory=list)  # per figure.chart: inline svg size, scripts


class DevTools:
    """A minimal DevTools client over `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, binary: str) -> None:
        # Chromium's helper processes may still be writing the profile for a moment after it exits
        self._profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def fds() -> None:  # runs in the child: put the pipe ends on fds 3 and 4
            hi_r, hi_w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [
                binary,
                *HEADLESS,
                f"--user-data-dir={self._profile.name}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            env=browser_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Python's own fds are not inheritable (PEP 446): without close_fds only fds 3 and 4 pass on
            close_fds=False,
            preexec_fn=fds,
            start_new_session=True,  # its own process group: close() can end its helpers with it
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._id = 0
        self.events: List[Dict[str, Any]] = []

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)  # a clean exit: Chromium ends its helper processes
            self.proc.wait(timeout=30)
        except (OSError, RuntimeError, TimeoutError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this client started, nothing else
            self.proc.wait(timeout=30)
        os.close(self._to_child)
        os.close(self._from_child)
        self._profile.cleanup()

    def _read(self, deadline: float) -> Dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer over the DevTools pipe")
            chunk = os.read(self._from_child, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: Optional[str] = None, timeout: float = 60, **params: Any) -> Any:
        self._id += 1
        msg: Dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, timeout: float = 60) -> Dict[str, Any]:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            event = self._read(deadline)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)


CHARTS_JS = """JSON.stringify(Array.from(document.querySelectorAll('figure.chart')).map(f => {
  const svg = f.querySelector(':scope > svg'); const box = svg ? svg.getBoundingClientRect() : null;
  return {id: f.id, svg: !!svg, width: box ? box.width : 0, height: box ? box.height : 0,
          marks: svg ? svg.querySelectorAll('path, use, rect').length : 0};
}))"""


def visit(binary: str, page: Path, settle_s: float = 0.5) -> PageVisit:
    """Opens `page` in a fresh tab and reports the requests it made and the charts it rendered."""
    tools = DevTools(binary)
    try:
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        tools.call("Network.enable", session)
        tools.call("Page.enable", session)
        tools.call("Page.navigate", session, url=page.resolve().as_uri())
        tools.wait_for("Page.loadEventFired", session)
        time.sleep(settle_s)  # anything started late (timers, lazy images) still shows up as an event
        result = tools.call("Runtime.evaluate", session, expression=CHARTS_JS, returnByValue=True)
        tools.call("Runtime.evaluate", session, expression="1")  # drains the events sent meanwhile
        requests = [
            e["params"]["request"]["url"]
            for e in tools.events
            if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session
        ]
        return PageVisit(requests=requests, charts=json.loads(result["result"]["value"]))
    finally:
        tools.close()
