"""A plain script for schedulers and `dlt deploy`: load Zoom into the warehouse, then push new calls to Kendo.

    python pipelines/zoom_pipeline.py            # DuckDB ./zoom_pipeline.duckdb
    ZOOM_DESTINATION=postgres python pipelines/zoom_pipeline.py
"""

import os
import sys

from pipelines.cli import main

if __name__ == "__main__":
    argv = ["run", "--destination", os.environ.get("ZOOM_DESTINATION", "duckdb")]
    if os.environ.get("ZOOM_PUSH_KENDO", "true").lower() in ("1", "true", "yes"):
        argv.append("--push-kendo")
    sys.exit(main(argv))
