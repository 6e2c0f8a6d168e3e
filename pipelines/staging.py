"""The `<dataset>_staging` schema: dlt merges through it, and we have dlt empty it after each load.

dlt (1.31) loads `merge` tables into `<dataset>_staging.<table>` first and merges from there; by default the
rows stay until the next load of that table. dlt's own `load.truncate_staging_dataset` truncates the staging
tables a package used once the package is loaded, so the staging schema holds empty tables between runs
(dlt re-uses them, so the schema itself stays). A value set in config or the environment wins.
"""

from __future__ import annotations

import os

from dlt.common.configuration.providers import EnvironProvider


def empty_staging_after_load(pipeline_name: str) -> None:
    """Turns on `load.truncate_staging_dataset` for this pipeline unless it is configured already."""
    import dlt

    if dlt.config.get("load.truncate_staging_dataset") is not None:
        return
    key = EnvironProvider.get_key_name("truncate_staging_dataset", pipeline_name, "load")
    os.environ.setdefault(key, "true")
