"""`zoom-pipeline`: run (Zoom → warehouse [→ Kendo]), push (warehouse → Kendo), report, demo, tables,
webhooks serve (Zoom's events → warehouse [→ Kendo]).

Exit codes: 0 done; 3 finished, with calls left pending, failed or uncertain; 75 another run holds the
lock; 130 interrupted; 1 error.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, List, NoReturn, Optional

from .interrupt import EXIT_INTERRUPTED, Interrupted, StopOnSignal

EXIT_OK, EXIT_ERROR, EXIT_UNFINISHED, EXIT_LOCKED = 0, 1, 3, 75
DESTINATIONS = ("duckdb", "postgres")  # the warehouses `--destination` (and Dagster's ZOOM_DESTINATION) name

logger = logging.getLogger("pipelines")


def _csv(value: str) -> List[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _dataset(value: str) -> str:
    from .sql import DATASET_NAME

    if not DATASET_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a dataset name: use letters, digits and _ (e.g. zoom)"
        )
    return value


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            number = None
        if number is None or not 0 < number < math.inf:  # NaN and inf fail this too
            raise argparse.ArgumentTypeError(f"{value!r} is not a number above 0")
        return number

    return parse


def _non_negative(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not 0 <= number < math.inf:  # NaN and inf fail this too
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of 0 or more")
    return number


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (1 to 65535)")
    return int(value)


def _date(value: str) -> str:
    from sources.zoom.config_values import SettingError, parse_date

    try:
        parse_date(value, "date")
    except SettingError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD (UTC)") from None
    return value


def _warehouse_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--destination", choices=DESTINATIONS, default="duckdb", help="warehouse (default duckdb)"
    )
    p.add_argument(
        "--dataset", type=_dataset, default=None, help="dataset / schema name (default zoom, or zoom_<account>)"
    )
    p.add_argument(
        "--duckdb-path", default="./zoom_pipeline.duckdb", help="DuckDB file (default ./zoom_pipeline.duckdb)"
    )
    _account_arg(p)
    _lock_args(p)


def _account_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--account",
        metavar="NAME",
        help="a configured account ([sources.zoom.accounts.NAME]): its own pipeline, dataset and DuckDB file",
    )


def _lock_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait-lock",
        type=float,
        default=0,
        metavar="SECONDS",
        help="if another run holds the lock, wait up to this long (default: exit 75 at once)",
    )


def _push_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_date, help="push only calls on or after this date (YYYY-MM-DD)")
    p.add_argument("--until", type=_date, help="push only calls before this date (YYYY-MM-DD)")
    p.add_argument(
        "--rep-email", type=_csv, default=None, help="comma-separated rep emails (Kendo team members)"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the payloads that would be sent; send nothing"
    )
    p.add_argument(
        "--resend-changed", action="store_true", help="re-send calls whose payload changed since sent"
    )
    p.add_argument(
        "--resend-uncertain",
        action="store_true",
        help="re-post calls whose earlier POST got no answer (Kendo may hold them: check Kendo first)",
    )
    p.add_argument("--concurrency", type=_positive(int), default=None, help="parallel pushes (default 4)")
    p.add_argument(
        "--rate", type=_positive(float), default=None, help="Kendo requests per second (default 5)"
    )
    p.add_argument(
        "--max-seconds",
        type=_positive(float),
        default=None,
        help="time budget of the push; what is left then stays pending for the next run",
    )


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line and exit 1, like every other error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("zoom-pipeline").strip()
        self.exit(EXIT_ERROR, f"zoom-pipeline: {command + ': ' if command else ''}{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="zoom-pipeline", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show stack traces and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load Zoom into the warehouse (and optionally push new calls to Kendo)")
    _warehouse_args(run)
    run.add_argument(
        "--start-date", help="first run backfills from here (YYYY-MM-DD); default sources.zoom.start_date"
    )
    run.add_argument("--end-date", help="with --start-date: load this fixed range only (a backfill)")
    run.add_argument("--resources", type=_csv, default=None, help="comma-separated tables (default: all)")
    run.add_argument(
        "--instances",
        type=_csv,
        default=None,
        help="comma-separated meeting instance UUIDs: load their time-bound tables only, whatever their "
        "date (no cursor moves)",
    )
    run.add_argument(
        "--refresh-entities",
        action="store_true",
        help="re-read meetings, webinars and channels (and their children) in full now, not only when "
        "sources.zoom.entity_refresh_hours (default 24) have passed",
    )
    run.add_argument(
        "--windows-per-run", type=int, default=None, help="month windows per resumable step (default 6)"
    )
    run.add_argument(
        "--push-kendo", action="store_true", help="after the load, push new ready calls to Kendo"
    )
    run.add_argument("--export-schema", metavar="DIR", help="write the dlt schema (YAML) of what was loaded")
    _push_args(run)

    push = sub.add_parser("push", help="push ready calls from the warehouse to Kendo (no Zoom calls)")
    _warehouse_args(push)
    _push_args(push)

    demo = sub.add_parser(
        "demo", help="load a generated account from the local emulators into DuckDB and Kendo"
    )
    demo.add_argument("--dir", default="./demo_output", help="where the demo DuckDB file goes")
    demo.add_argument("--users", type=int, default=8, help="generated users")
    _lock_args(demo)

    report = sub.add_parser("report", help="write the offline HTML report (charts) from the analyst views")
    _warehouse_args(report)
    report.add_argument(
        "--out", default=None, help="HTML file (default zoom_report.html; zoom_report_<account>.html)"
    )
    report.add_argument(
        "--screenshot", metavar="PNG", help="also save a PNG of the page, taken offline by headless Chromium"
    )

    sub.add_parser("tables", help="list the tables, their keys, cursors and Zoom endpoints")

    _webhook_args(sub)

    accounts = sub.add_parser("accounts", help="list the configured Zoom accounts and the last run of each")
    accounts.add_argument("--destination", choices=DESTINATIONS, default="duckdb")
    accounts.add_argument("--duckdb-path", default="./zoom_pipeline.duckdb")

    sql = sub.add_parser("sql", help="run SQL on the DuckDB file (reads queries from stdin without one)")
    sql.add_argument("query", nargs="?", help='e.g. "select count(*) from calls"')
    sql.add_argument("--duckdb-path", default="./zoom_pipeline.duckdb")
    sql.add_argument("--dataset", default=None)
    _account_arg(sql)
    return parser


def _webhook_args(sub: Any) -> None:
    from .webhooks.app import DEFAULT_MAX_BODY_BYTES
    from .webhooks.queue import DEFAULT_MAX_PENDING
    from .webhooks.worker import MAX_ATTEMPTS, RETRY_BASE_SECONDS

    hooks = sub.add_parser("webhooks", help="receive Zoom's webhook events and load what they name")
    serve = hooks.add_subparsers(dest="webhooks_command", required=True).add_parser(
        "serve", help="serve POST /zoom/webhooks, /healthz and /metrics; load each event's instance"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: behind a proxy)"
    )
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    _warehouse_args(serve)
    serve.add_argument(
        "--push-kendo", action="store_true", help="push each completed recording's call to Kendo"
    )
    serve.add_argument(
        "--run-every", type=_positive(float), metavar="MINUTES", help="also run the scheduled incremental run"
    )
    serve.add_argument(
        "--settle-minutes",
        type=_non_negative,
        default=15.0,
        help="after meeting.ended, wait this long before loading participants (default 15)",
    )
    serve.add_argument(
        "--batch-seconds", type=_non_negative, default=2.0, help="micro-batch gathering time (default 2)"
    )
    serve.add_argument(
        "--max-attempts",
        type=_positive(int),
        default=MAX_ATTEMPTS,
        help=f"tries of a failing batch before its events are marked failed (default {MAX_ATTEMPTS})",
    )
    serve.add_argument(
        "--retry-base-seconds",
        type=_positive(float),
        default=RETRY_BASE_SECONDS,
        help=f"wait before a failed batch's first retry, doubling after (default {RETRY_BASE_SECONDS:g})",
    )
    serve.add_argument(
        "--max-queued", type=_positive(int), default=DEFAULT_MAX_PENDING, help="queue bound; beyond it, 503"
    )
    serve.add_argument(
        "--max-body-bytes", type=_positive(int), default=DEFAULT_MAX_BODY_BYTES, help="larger bodies get 413"
    )


def main(argv: Optional[List[str]] = None) -> int:
    # signals first: a Ctrl-C while dlt is still importing must not print a KeyboardInterrupt traceback
    with StopOnSignal() as stopper:
        args = build_parser().parse_args(argv)
        args.stop = stopper.event
        _configure_logging(args.debug)
        return _run_command(args, stopper)


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not debug:
        for noisy in ("dlt", "urllib3", "aiohttp", "sources.zoom.client"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _run_command(args: argparse.Namespace, stopper: StopOnSignal) -> int:
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "run": cmd_run,
        "push": cmd_push,
        "demo": cmd_demo,
        "report": cmd_report,
        "tables": cmd_tables,
        "accounts": cmd_accounts,
        "sql": cmd_sql,
        "webhooks": cmd_webhooks,
    }
    from .run_lock import LockHeld

    try:
        code = commands[args.command](args)
    except (KeyboardInterrupt, Interrupted):
        stopper.say_interrupted()
        return EXIT_INTERRUPTED
    except LockHeld as exc:
        print(f"zoom-pipeline: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except Exception as exc:  # one clear line, unless --debug
        if stopper.event.is_set():  # whatever broke, it broke because the run was stopped
            stopper.say_interrupted()
            return EXIT_INTERRUPTED
        if args.debug:
            raise
        from .accounts import name_account_settings
        from .errors import friendly_error

        message = name_account_settings(friendly_error(exc), getattr(args, "account", None))
        print(f"zoom-pipeline: {message}", file=sys.stderr)
        return EXIT_ERROR
    if stopper.event.is_set():
        stopper.say_interrupted()
        return EXIT_INTERRUPTED
    return code


def _account_pipeline(args: argparse.Namespace, **kwargs: Any) -> tuple[Any, Any]:
    """The account `--account` names (or the unnamed one) and its warehouse pipeline."""
    from .account_runs import account_pipeline
    from .accounts import get_account

    account = get_account(getattr(args, "account", None))
    return account, account_pipeline(account, args.destination, args.duckdb_path, args.dataset, **kwargs)


def _push_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return dict(
        since=args.since,
        until=args.until,
        rep_emails=args.rep_email,
        dry_run=args.dry_run,
        resend_changed=args.resend_changed,
        resend_uncertain=args.resend_uncertain,
        concurrency=args.concurrency,
        rate_per_second=args.rate,
        max_seconds=args.max_seconds,
    )


def _push_exit(report: Any) -> int:
    return EXIT_UNFINISHED if report.unfinished() else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .account_runs import load_account

    account, pipeline = _account_pipeline(args, export_schema_path=args.export_schema)
    kwargs: dict[str, Any] = {}
    if args.windows_per_run is not None:
        kwargs["windows_per_run"] = args.windows_per_run
    if args.refresh_entities:
        kwargs["refresh_entities"] = True
    _, report = load_account(
        account,
        pipeline,
        stop=args.stop,
        wait_lock=args.wait_lock,
        push=_push_kwargs(args) if args.push_kendo else None,
        resources=args.resources,
        start_date=args.start_date,
        end_date=args.end_date,
        instances=args.instances,
        **kwargs,
    )
    return _push_exit(report) if report is not None else EXIT_OK


def cmd_push(args: argparse.Namespace) -> int:
    from .account_runs import push_account

    account, pipeline = _account_pipeline(args)
    return _push_exit(push_account(account, pipeline, stop=args.stop, wait_lock=args.wait_lock, **_push_kwargs(args)))


def cmd_accounts(args: argparse.Namespace) -> int:
    from .account_runs import last_runs
    from .accounts import all_accounts

    accounts = all_accounts()
    if not accounts:
        print("No named accounts: add [sources.zoom.accounts.NAME.credentials] to .dlt/secrets.toml")
        return EXIT_OK
    print("\n".join(last_runs(accounts, args.destination, args.duckdb_path)))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(out_dir=args.dir, users=args.users, stop=args.stop, wait_lock=args.wait_lock)


def cmd_report(args: argparse.Namespace) -> int:
    from .accounts import get_account
    from .analyst.report import require_loaded, write_report
    from .analyst.views import refresh_views_for_reading
    from .run_lock import RunLock

    duckdb_path = get_account(args.account).duckdb_path(args.duckdb_path)
    if args.destination == "duckdb" and not Path(duckdb_path).is_file():
        raise ValueError(
            f"no DuckDB file at {duckdb_path}: load one with `zoom-pipeline run`, or set --duckdb-path"
        )
    account, pipeline = _account_pipeline(args)
    with RunLock.for_pipeline(pipeline, args.wait_lock, args.stop):
        require_loaded(pipeline)
        refresh_views_for_reading(pipeline)  # this version's views, even on a dataset an older one loaded
        # a named account's report sits beside the others, as its DuckDB file does: never overwrites them
        path = write_report(pipeline, args.out or account.duckdb_path("zoom_report.html"))
    print(f"Report: {path}")
    if args.screenshot:
        from .analyst.screenshot import screenshot

        print(f"Screenshot: {screenshot(path, Path(args.screenshot))}")
    return EXIT_OK


def cmd_tables(args: argparse.Namespace) -> int:
    from .tables import table_reference

    print(table_reference())
    return 0


def cmd_webhooks(args: argparse.Namespace) -> int:
    from .webhooks.serve import serve

    return serve(args)


def cmd_sql(args: argparse.Namespace) -> int:
    from .accounts import get_account
    from .sql import run_sql

    account = get_account(args.account)
    return run_sql(account.duckdb_path(args.duckdb_path), args.dataset or account.dataset, args.query)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    sys.exit(main())
