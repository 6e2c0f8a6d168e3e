"""Creates the analyst views in the warehouse dataset after a load (DuckDB and Postgres).

The SQL (view_sql.py) is written once in DuckDB's dialect and transpiled with sqlglot, which dlt already
depends on. Before transpiling, every loaded table a view reads is replaced by a projection of just the
columns it needs; a table or column the warehouse does not have (yet) becomes typed NULLs, so the views
create on any dataset, even one loaded with `--resources`. The Kendo ledger `kendo_sync` is created first
(empty, with the push's own DDL) when no push ever ran, so `v_kendo_status` reads it as it fills.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Set

import sqlglot
from sqlglot import exp

from destinations.kendo.ledger import Ledger

from .view_sql import SOURCE_COLUMNS, VIEWS

logger = logging.getLogger("pipelines")

SOURCE_DIALECT = "duckdb"


def dialect_of(sql_client: Any) -> str:
    """`duckdb` or `postgres`, from a dlt sql client."""
    name = type(sql_client).__module__
    if "duckdb" in name:
        return "duckdb"
    if "postgres" in name:
        return "postgres"
    raise ValueError(f"analyst views support DuckDB and Postgres, not {name}")


def existing_columns(sql_client: Any) -> Dict[str, Set[str]]:
    """Columns per table of the dataset, from information_schema (the same query on both engines)."""
    rows = sql_client.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
        sql_client.dataset_name,
    )
    found: Dict[str, Set[str]] = {}
    for table, column in rows or []:
        found.setdefault(table, set()).add(column)
    return found


def _source_projection(table: str, present: Set[str], qualified: exp.Table) -> exp.Select:
    """SELECT of the needed columns of `table`: real ones where present, typed NULLs where not."""
    cols = []
    for column, type_ in SOURCE_COLUMNS[table].items():
        value: exp.Expression = (
            exp.column(column, quoted=True)
            if column in present
            else exp.cast(exp.null(), exp.DataType.build(type_, dialect=SOURCE_DIALECT))
        )
        cols.append(exp.alias_(value, column, quoted=True))
    select = exp.select(*cols)
    if present:
        return select.from_(qualified)
    return select.where(exp.false())


def _read_from_dataset(view: str, tree: Any, dataset: str, columns: Dict[str, Set[str]]) -> Any:
    """Qualifies the views a view reads with `dataset`, and replaces each loaded table by its projection."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or node.db or node.name in ctes:
            return node
        if node.name in VIEWS:
            return exp.table_(node.name, db=dataset, quoted=True, alias=node.alias or None)
        if node.name in SOURCE_COLUMNS:
            qualified = exp.table_(node.name, db=dataset, quoted=True)
            sub = _source_projection(node.name, columns.get(node.name, set()), qualified)
            return exp.Subquery(
                this=sub, alias=exp.TableAlias(this=exp.to_identifier(node.alias or node.name))
            )
        raise ValueError(f"view {view} reads table {node.name!r}, which view_sql.SOURCE_COLUMNS lacks")

    return tree.transform(rewrite)


def view_statements(dataset: str, dialect: str, columns: Dict[str, Set[str]]) -> Dict[str, str]:
    """`CREATE OR REPLACE VIEW` text per view for `dialect`, reading the tables that exist in `dataset`.

    Args:
        dataset: the dataset (schema) name.
        dialect: `duckdb` or `postgres`.
        columns: existing columns per table (see `existing_columns`).
    """
    statements: Dict[str, str] = {}
    for name, body in VIEWS.items():
        tree = _read_from_dataset(name, sqlglot.parse_one(body, read=SOURCE_DIALECT), dataset, columns)
        target = exp.table_(name, db=dataset, quoted=True)
        create = exp.Create(this=target, kind="VIEW", replace=True, expression=tree)
        statements[name] = create.sql(dialect=dialect, pretty=True)
    return statements


def create_views(pipeline: Any) -> List[str]:
    """Creates (or replaces) every analyst view in the pipeline's dataset. Returns the view names.

    Called after each load by `zoom-pipeline run` and the demo; safe to call any time.
    """
    with pipeline.sql_client() as client:
        dialect = dialect_of(client)
        Ledger(client).ensure_table()  # also creates the dataset schema if the load made none
        statements = view_statements(client.dataset_name, dialect, existing_columns(client))
        try:
            with client.begin_transaction():
                for sql in statements.values():
                    client.execute_sql(sql)
        except Exception:
            # Postgres refuses CREATE OR REPLACE when a view's columns changed (an upgrade): drop, then create
            logger.info("recreating the analyst views (their columns changed)")
            cascade = " CASCADE" if dialect == "postgres" else ""
            with client.begin_transaction():
                for name in reversed(list(statements)):
                    client.execute_sql(
                        f"DROP VIEW IF EXISTS {client.make_qualified_table_name(name)}{cascade}"
                    )
                for sql in statements.values():
                    client.execute_sql(sql)
    return list(statements)


def refresh_views_for_reading(pipeline: Any) -> None:
    """Creates the views before a report; a reader who may not create views (a read-only Postgres role)
    still gets the report from the views the last load made."""
    try:
        create_views(pipeline)
    except Exception as exc:
        with pipeline.sql_client() as client:
            present = existing_columns(client)
        if any(name not in present for name in VIEWS):
            raise
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        logger.warning("could not refresh the analyst views (%s); reading the existing ones", reason)
