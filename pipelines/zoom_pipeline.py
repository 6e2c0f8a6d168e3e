"""A plain script for schedulers and `dlt deploy`: load Zoom into the warehouse, then push new calls to Kendo.

python pipelines/zoom_pipeline.py                       # DuckDB ./zoom_pipeline.duckdb
ZOOM_DESTINATION=postgres python pipelines/zoom_pipeline.py
ZOOM_PUSH_KENDO=false python pipelines/zoom_pipeline.py # warehouse only
"""

import os

import dlt

from pipelines.analyst.views import create_views
from pipelines.load import DEFAULT_DUCKDB_PATH, build_client, load_zoom
from pipelines.push import push_from_config
from pipelines.safe_load import configure_idempotent_load

if __name__ == "__main__":
    destination = os.environ.get("ZOOM_DESTINATION", "duckdb")
    # `dlt deploy` finds the pipeline by this call
    pipeline = dlt.pipeline(
        pipeline_name="zoom_pipeline",
        destination=dlt.destinations.duckdb(DEFAULT_DUCKDB_PATH) if destination == "duckdb" else "postgres",
        dataset_name="zoom",
        progress="log",
    )
    configure_idempotent_load(pipeline)
    client = build_client()
    print("\n".join(load_zoom(pipeline, client).lines()))
    print(f"Analyst views: {', '.join(create_views(pipeline))}")
    if os.environ.get("ZOOM_PUSH_KENDO", "true").lower() in ("1", "true", "yes"):
        print("\n".join(push_from_config(pipeline, client=client).lines()))
