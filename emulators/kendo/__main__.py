"""`python -m emulators.kendo --port N [--api-key K] [--strict] [--latency-ms MS]`: runs the Kendo emulator.

Prints one JSON line `{"ingest_url": ..., "api_key": ...}` on start, then serves until interrupted.
"""

from __future__ import annotations

import argparse

from .._server import free_port, serve_forever
from .app import INGEST_PATH, create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulators.kendo", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--api-key", default="kendo-test-key", help="the push key the emulator accepts")
    parser.add_argument("--strict", action="store_true", help="download each audioUrl; 400 when that fails")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay before every ingest answer")
    args = parser.parse_args(argv)
    port = args.port or free_port()
    app = create_app(args.api_key, latency_ms=args.latency_ms, strict=args.strict)
    banner = {"ingest_url": f"http://127.0.0.1:{port}{INGEST_PATH}", "api_key": args.api_key}
    serve_forever(app, port, banner)


if __name__ == "__main__":
    main()
