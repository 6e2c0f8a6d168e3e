"""A PNG of the report, taken by headless Chromium (`zoom-pipeline report --screenshot`), offline.

Chromium runs with name resolution disabled and a proxy that does not exist, so the page could not fetch
anything even if it tried. Debian's `/usr/bin/chromium` wrapper adds Google API keys and remote extensions,
so the real binary is preferred.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Optional

CANDIDATES = ["/usr/lib/chromium/chromium", "chromium", "chromium-browser", "google-chrome"]
# nothing resolves, and every request would go to a closed port on loopback
NO_NETWORK = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
]
HEADLESS = [
    "--headless",
    "--no-sandbox",  # runs as root in CI containers
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    *NO_NETWORK,
]


def find_chromium() -> Optional[str]:
    """Path of a Chromium binary, or None."""
    for name in CANDIDATES:
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and os.access(path, os.X_OK):
            return path
    return None


def browser_env() -> Dict[str, str]:
    """The environment without Google API keys (Debian sets them for the browser's own services)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GOOGLE_")}


def screenshot(
    page: Path, out: Path, width: int = 1000, height: int = 1500, binary: Optional[str] = None
) -> Path:
    """Saves a PNG of the local `page` (the top `height` pixels at `width`). Returns `out`.

    Raises:
        RuntimeError: no Chromium installed (one line, naming the package), or Chromium failed.
    """
    binary = binary or find_chromium()
    if binary is None:
        raise RuntimeError("--screenshot needs Chromium: install it (Debian: apt-get install chromium)")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Chromium's helper processes may still be writing the profile for a moment after it exits
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        args: List[str] = [
            binary,
            *HEADLESS,
            f"--user-data-dir={profile}",
            f"--screenshot={out}",
            f"--window-size={width},{height}",
            page.resolve().as_uri(),
        ]
        done = subprocess.run(args, env=browser_env(), capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not out.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"chromium could not take the screenshot (exit {done.returncode}): {last}")
    return out
