"""The `mau` command (SPEC §5). Every error is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

from mau_warehouse.config import DBT_PROJECT_DIR, Settings, load_settings
from mau_warehouse.errors import MauError
from mau_warehouse.tools.bench.run import ENGINES as BENCH_ENGINES
from mau_warehouse.tools.bench.run import STEPS as BENCH_STEPS
from mau_warehouse.tools.bench.workloads import WORKLOADS as BENCH_WORKLOADS

EXIT_ERROR = 1
EXIT_USAGE = 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line, not the usage text plus a line."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    return value


def _add_generate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--tenants", type=_positive, default=50, help="tenants (default 50)")
    parser.add_argument("--months", type=_positive, default=3, help="months (default 3)")
    parser.add_argument(
        "--events", type=_positive, default=1_000_000, help="events, about (default 1000000)"
    )
    parser.add_argument(
        "--start-month", help="first month, YYYY-MM (default: so the last month is this one)"
    )


def cmd_generate(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.cli.progress import progress_bar
    from mau_warehouse.tools.workload import GenerateOptions, generate

    settings.ensure_pseudonym_key()
    options = GenerateOptions(
        seed=args.seed,
        tenants=args.tenants,
        months=args.months,
        events=args.events,
        start_month=args.start_month,
    )
    with progress_bar("generating", unit="events") as advance:
        summary = generate(settings.landing_dir, options, progress=advance)
    _say(
        f"wrote {summary.events:,} events ({summary.lines:,} lines) for {summary.tenants} "
        f"tenants over {summary.months} months in {summary.files} files "
        f"under {settings.landing_dir} in {summary.seconds:.1f}s"
    )


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.ingest import ingest

    results = ingest(settings, [Path(p) for p in args.paths] or None, progress=_say)
    if args.format == "json":
        print(json.dumps([r.as_json() for r in results], indent=2))
        return
    if not results:
        print("nothing new to load")
    for r in results:
        reasons = ", ".join(f"{k}={v}" for k, v in sorted(r.quarantined.items()))
        line = (
            f"{r.file}: lines={r.lines} accepted={r.accepted} duplicates={r.duplicates} "
            f"quarantined={sum(r.quarantined.values())}"
        )
        print(line + (f" ({reasons})" if reasons else "") + (f" {r.error}" if r.error else ""))


def _run_pipeline(
    settings: Settings,
    *,
    full_refresh: bool = False,
    full_recount: bool = False,
    verbose: bool = False,
) -> None:
    """A pipeline run, one line per step, then a short summary. Files that could not be
    read are bad input (SPEC §5): the run published what it could, and exits non-zero."""
    from mau_warehouse.cli.pipeline import run_pipeline

    summary = run_pipeline(
        settings,
        full_refresh=full_refresh,
        full_recount=full_recount,
        verbose=verbose,
        progress=_say,
    )
    for line in summary.lines():
        _say(line)
    if summary.unreadable_files:
        raise MauError(
            f"figures published, but {summary.unreadable_files} files could not be read: "
            "the Data health page and `mau ingest --format json` name them"
        )


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    _run_pipeline(
        settings,
        full_refresh=args.full_refresh,
        full_recount=args.full_recount,
        verbose=args.verbose,
    )
    _say("run succeeded: figures published")


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.report import latest_month, monthly_usage, parse_month, render

    month = parse_month(args.month) if args.month else latest_month(settings)
    rows = monthly_usage(settings, month, args.tenant)
    if not rows and args.format == "table":
        which = f"{month:%Y-%m}" + (f" and tenant {args.tenant}" if args.tenant else "")
        _say(f"no figures for {which}: `mau months` lists the months with data")
        return
    print(render(rows, args.format))


def cmd_months(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.report import months_with_data, render_months

    print(render_months(months_with_data(settings), args.format))


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.alerts_report import month_alerts, render
    from mau_warehouse.report import parse_month

    rows = month_alerts(settings, parse_month(args.month), args.tenant)
    if not rows and args.format == "table":
        _say(f"no alerts in {args.month}" + (f" for tenant {args.tenant}" if args.tenant else ""))
        return
    print(render(rows, args.format))


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.backtest import backtest, render

    print(render(backtest(settings), args.format))


def cmd_close(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.billing.close import check_month_ended, request_close
    from mau_warehouse.report import parse_month
    from mau_warehouse.warehouse import connect_writer

    month = parse_month(args.month)
    check_month_ended(month, datetime.now(UTC))
    if not settings.warehouse_path.exists():
        raise MauError("no warehouse yet: run `mau run` (or `mau demo`) first")
    con = connect_writer(settings)
    try:
        request_close(con, month, datetime.now(UTC))
    finally:
        con.close()
    # The close step runs inside the pipeline, after the blocking checks, so only
    # verified figures are ever frozen.
    _run_pipeline(settings, verbose=args.verbose)
    _say(f"{args.month} closed: its figures are frozen in the billing snapshot")


def cmd_erase(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.privacy.erasure import (
        ErasureRequest,
        apply_erasures,
        require_known_tenant,
    )

    if not settings.warehouse_path.exists():
        raise MauError("no warehouse yet: nothing to erase")
    require_known_tenant(settings, args.tenant)
    request = ErasureRequest(
        request_id=args.request_id or f"cli-{uuid.uuid4()}",
        tenant_id=args.tenant,
        user_id=args.user_id,
        anonymous_id=args.anonymous_id,
    )
    erasures = apply_erasures(settings, [request])
    if not erasures:
        _say(f"request {request.request_id} was already honoured")
        return
    [erasure] = erasures
    removed = sum(erasure.removed.values())
    _say(
        f"request {request.request_id}: {removed} rows removed from "
        f"{len(erasure.removed)} tables; the person is on the suppression list"
    )
    if args.no_run:
        _say("the next `mau run` recounts the open months (a full refresh)")
        return
    # Open months are recounted without the person; closed months keep their snapshot.
    _run_pipeline(settings, verbose=args.verbose)
    _say("run succeeded: open months recounted and published")


def cmd_export(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.privacy.export import export_tenant

    written = export_tenant(settings, args.tenant, Path(args.out) if args.out else None)
    _say(f"exported {len(written)} files for tenant {args.tenant} to {written[0].parent}")


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.report import monthly_usage

    cmd_generate(args, settings)
    cmd_run(args, settings)
    # What a newcomer looks for, on one screen: the last complete month in one line, the
    # month to date with the tenants closest to their limits, and where to look next.
    rows = monthly_usage(settings)
    months = sorted({row["month"] for row in rows if row["mau"]})
    for month in months[-2:]:
        print(_month_digest([row for row in rows if row["month"] == month]))
    _say(
        "\nMore: `mau report` (every tenant), `mau months`, `mau alerts --month YYYY-MM`; "
        "dashboards: `mau user add NAME --role staff`, then `mau dashboard`; "
        "the Dagster UI: `mau ui`"
    )


def _month_digest(rows: list[dict[str, object]]) -> str:
    from mau_warehouse.report import SUMMARY_COLUMNS, render_table

    month = rows[0]["month"]
    over = sum(row["status"] == "over" for row in rows)
    approaching = sum(row["status"] == "approaching" for row in rows)
    projected_over = sum(row["projected_status"] == "over" for row in rows)
    to_date = any(row["is_month_to_date"] for row in rows)
    head = (
        f"\n{month}{' (month to date)' if to_date else ''}: {len(rows)} tenants, "
        f"{sum(int(row['mau']) for row in rows):,} MAU; {over} over their limit, "
        f"{approaching} approaching" + (f", {projected_over} projected over" if to_date else "")
    )
    if not to_date:
        return head
    closest = sorted(rows, key=lambda row: -(row["utilization"] or 0))[:10]
    return f"{head}\nthe 10 closest to their limit:\n{render_table(closest, SUMMARY_COLUMNS)}"


def cmd_bench(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.tools.bench.report import render
    from mau_warehouse.tools.bench.run import run_bench

    steps = args.steps.split(",") if args.steps else list(BENCH_STEPS)
    unknown = sorted(set(steps) - set(BENCH_STEPS))
    if unknown:
        raise MauError(f"unknown bench step {unknown[0]!r}: choose from {', '.join(BENCH_STEPS)}")
    if args.engine == "spark":
        # Only the build runs on Spark yet: its loader, checks and close are DuckDB's.
        if args.steps and steps != ["pipeline"]:
            raise MauError("on Spark, `mau bench` times the build only: use --steps pipeline")
        steps = ["pipeline"]
    rows = run_bench(
        settings,
        args.workload or ["S", "M"],
        steps,
        args.repetitions,
        args.seed,
        _say,
        Path(args.cache) if args.cache else None,
        engine=args.engine,
    )
    print(render(rows, args.format))
    if args.plot:
        from mau_warehouse.tools.bench.plot import svg

        Path(args.plot).write_text(svg(rows), encoding="utf-8")
        _say(f"plot written to {args.plot}")


def cmd_init_key(args: argparse.Namespace, settings: Settings) -> None:
    path = settings.ensure_pseudonym_key()
    _say(f"pseudonymization key ready at {path} (owner-only); keep a copy outside the warehouse")


def _exec(program: str, arguments: list[str], env: dict[str, str]) -> NoReturn:
    """Replace this process with a server so Ctrl-C reaches it directly."""
    executable = str(Path(sys.executable).parent / program)
    os.execve(executable, [executable, *arguments], {**os.environ, **env})


def cmd_dashboard(args: argparse.Namespace, settings: Settings) -> None:
    import dashboards

    _exec(
        "streamlit",
        [
            "run",
            str(Path(dashboards.__file__).resolve().parent / "app.py"),
            "--server.headless=true",
            f"--server.port={args.port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            # Viewers get the app only, not Streamlit's deploy and developer menus.
            "--client.toolbarMode=viewer",
        ],
        {"MAU_HOME": str(settings.home)},
    )


def cmd_ui(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.cli.pipeline import prepare_dagster_home

    prepare_dagster_home(settings)
    _exec(
        "dagster",
        ["dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(args.port)],
        {"MAU_HOME": str(settings.home), "DAGSTER_HOME": str(settings.dagster_home)},
    )


def cmd_docs(args: argparse.Namespace, settings: Settings) -> None:
    import subprocess

    env = {**os.environ, **settings.dbt_env()}
    dbt = str(Path(sys.executable).parent / "dbt")
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    if not settings.warehouse_path.exists():
        raise MauError("no warehouse yet: run `mau run` (or `mau demo`) first")
    _say("generating the dbt docs site…")
    done = subprocess.run([dbt, "docs", "generate", *common], env=env, capture_output=True)
    if done.returncode != 0:
        tail = (done.stdout or b"").decode().strip().splitlines()[-1:] or ["unknown error"]
        raise MauError(f"dbt docs generate failed: {tail[0]}")
    # The Great Expectations Data Docs are served beside the dbt docs, from one server,
    # on the port the checks' metadata links to (MAU_DOCS_PORT) unless --port says else.
    port = args.port or settings.docs_port
    target = Path(os.environ.get("DBT_TARGET_PATH", DBT_PROJECT_DIR / "target"))
    data_docs = settings.home / "quality" / "data_docs"
    if data_docs.is_dir():
        shutil.copytree(data_docs, target / "data_docs", dirs_exist_ok=True)
        _say(f"data quality (Great Expectations): http://127.0.0.1:{port}/data_docs/index.html")
    _say(f"dbt docs: http://127.0.0.1:{port}/")
    _exec(
        "dbt",
        ["docs", "serve", *common, "--port", str(port), "--host", "127.0.0.1", "--no-browser"],
        settings.dbt_env(),
    )


def _require_published_tenant(settings: Settings, tenant_id: str) -> None:
    from mau_warehouse.warehouse import connect_serving, require_published_tenant

    con = connect_serving(settings)  # one line when nothing is published yet
    try:
        require_published_tenant(con, tenant_id)
    finally:
        con.close()


def _read_new_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise MauError("no terminal to ask for the password: pipe it with --password-stdin")
    import getpass

    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise MauError("the two passwords differ")
    return password


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.users import add_user, check_user_fields

    check_user_fields(args.username, args.role, args.tenant)
    if args.tenant:
        _require_published_tenant(settings, args.tenant)
    password = None if args.oidc else _read_new_password(args.password_stdin)
    add_user(settings.dashboard_users_file, args.username, args.role, args.tenant, password)
    scope = "every tenant" if args.role == "staff" else f"tenant {args.tenant}"
    how = "through the OIDC provider" if args.oidc else "with a password"
    _say(f"dashboard user {args.username} signs in {how} and sees {scope}")


def cmd_user_remove(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.users import remove_user

    remove_user(settings.dashboard_users_file, args.username)
    _say(f"dashboard user {args.username} removed")


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.users import read_users

    for username, entry in sorted(read_users(settings.dashboard_users_file).items()):
        sign_in = "password" if entry.get("password") else "oidc"
        print(f"{username}\t{entry['role']}\t{entry.get('tenant_id') or '*'}\t{sign_in}")


def cmd_spark_cluster_up(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.spark.cluster import up

    started = up(settings)
    _say(
        f"Spark master {settings.spark.master_url} with {len(started)} workers "
        f"(UI {settings.spark.master_ui_url}); `mau spark-cluster down` stops it"
    )


def cmd_spark_cluster_down(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.spark.cluster import down

    stopped = down(settings)
    _say(f"stopped {stopped} Spark daemons" if stopped else "no Spark cluster was running")


def cmd_spark_cluster_status(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.spark.cluster import workers

    known = workers(settings)
    if not known:
        raise MauError(f"no Spark master answers at {settings.spark.master_ui_url}")
    for worker in known:
        print(f"{worker.worker_id}\t{worker.state}\t{worker.cores} cores\t{worker.ui_url}")


def cmd_spark_cluster_check(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.spark.probe import tasks_per_worker

    tasks = tasks_per_worker(settings)
    for worker_id, count in sorted(tasks.items()):
        print(f"{worker_id}\t{count} tasks")
    idle = [worker_id for worker_id, count in tasks.items() if count == 0]
    if idle:
        raise MauError(f"{len(idle)} of {len(tasks)} workers ran no task: {', '.join(idle)}")


def _day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_spark_build(args: argparse.Namespace, settings: Settings) -> None:
    from mau_warehouse.spark.build import build_on_spark

    build = build_on_spark(settings, args.as_of_date, progress=_say)
    _say(f"raw layer: {build.raw_rows:,} rows written as Parquet ({build.raw_layer_seconds:.1f} s)")
    _say(f"dbt build on Spark: {build.dbt_summary} ({build.dbt_seconds:.1f} s)")
    _say(f"marts in {settings.spark_warehouse_dir / 'marts.db'}; full log: {build.log_file}")


def _add_spark_commands(commands: argparse._SubParsersAction) -> None:
    cluster = commands.add_parser(
        "spark-cluster", help="a Spark standalone cluster on this machine (SPEC §8)"
    )
    actions = cluster.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    for name, handler, text in (
        ("up", cmd_spark_cluster_up, "start a master and MAU_SPARK_WORKERS workers on 127.0.0.1"),
        ("down", cmd_spark_cluster_down, "stop the workers and the master"),
        ("status", cmd_spark_cluster_status, "list the workers the master knows"),
        ("check", cmd_spark_cluster_check, "run a job and show each worker's tasks"),
    ):
        actions.add_parser(name, help=text).set_defaults(handler=handler)

    build = commands.add_parser(
        "spark-build",
        help="build the dbt project on Spark (MAU_SPARK_MASTER) from the loaded raw layer",
    )
    build.add_argument(
        "--as-of-date",
        type=_day,
        help="count as of this local day for every tenant (YYYY-MM-DD; default: now)",
    )
    build.set_defaults(handler=cmd_spark_build)


def _add_user_commands(commands: argparse._SubParsersAction) -> None:
    user = commands.add_parser("user", help="manage dashboard users (sign-in and tenant access)")
    actions = user.add_subparsers(dest="action", required=True, parser_class=OneLineParser)
    add = actions.add_parser("add", help="add or replace a user")
    add.add_argument("username", help="a name, or the e-mail address the OIDC provider reports")
    add.add_argument("--role", choices=("staff", "tenant"), required=True)
    add.add_argument("--tenant", help="the one tenant a tenant user sees")
    how = add.add_mutually_exclusive_group()
    how.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    how.add_argument("--oidc", action="store_true", help="no password: signs in through OIDC")
    add.set_defaults(handler=cmd_user_add)
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("username")
    remove.set_defaults(handler=cmd_user_remove)
    listing = actions.add_parser("list", help="list users: name, role, tenant, sign-in")
    listing.set_defaults(handler=cmd_user_list)


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="mau",
        description="mau-warehouse: exact Monthly Active Users, plan limits and overage. "
        "Reads and writes under MAU_HOME (default ~/.mau-warehouse).",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    generate = commands.add_parser("generate", help="write realistic synthetic landing data")
    _add_generate_options(generate)
    generate.set_defaults(handler=cmd_generate)

    ingest = commands.add_parser("ingest", help="load new event and account files")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: the landing folder)")
    ingest.add_argument("--format", choices=("table", "json"), default="table")
    ingest.set_defaults(handler=cmd_ingest)

    run = commands.add_parser("run", help="ingest, build every model, run every check, publish")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from the raw layer instead of adding what changed "
        "(after a change of the bot list or of the models); recounts every open month too",
    )
    run.add_argument(
        "--full-recount",
        action="store_true",
        help="check every open tenant-month against the independent recount, not only "
        "those this run's lines changed (also MAU_FULL_RECOUNT=1)",
    )
    run.add_argument(
        "--verbose", action="store_true", help="show Dagster's and dbt's logs as the run goes"
    )
    run.set_defaults(handler=cmd_run)

    report = commands.add_parser("report", help="tenant × month usage")
    report.add_argument("--month", help="YYYY-MM (default: the latest month; see `mau months`)")
    report.add_argument("--tenant", help="one tenant id")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report.set_defaults(handler=cmd_report)

    alerts = commands.add_parser(
        "alerts", help="a month's usage alerts: thresholds reached and projected (R12, R13)"
    )
    alerts.add_argument("--month", required=True, help="YYYY-MM")
    alerts.add_argument("--tenant", help="one tenant id")
    alerts.add_argument("--format", choices=("table", "json"), default="table")
    alerts.set_defaults(handler=cmd_alerts)

    backtest_cmd = commands.add_parser(
        "backtest", help="precision, recall and lead time of projected alerts (R13, SPEC §6)"
    )
    backtest_cmd.add_argument("--format", choices=("table", "json"), default="table")
    backtest_cmd.set_defaults(handler=cmd_backtest)

    months = commands.add_parser(
        "months", help="the months of the published figures: tenants, MAU, closed or to date"
    )
    months.add_argument("--format", choices=("table", "json"), default="table")
    months.set_defaults(handler=cmd_months)

    close = commands.add_parser("close", help="close a month by hand and freeze its figures")
    close.add_argument("--month", required=True, help="YYYY-MM")
    close.add_argument(
        "--verbose", action="store_true", help="show Dagster's and dbt's logs as the run goes"
    )
    close.set_defaults(handler=cmd_close)

    erase = commands.add_parser(
        "erase", help="erase one person of a tenant from every table, for good (R17)"
    )
    erase.add_argument("--tenant", required=True, help="tenant id")
    person = erase.add_mutually_exclusive_group(required=True)
    person.add_argument("--user-id", help="the user id, as the SDK sends it")
    person.add_argument(
        "--anonymous-id", help="an anonymous id; a linked anonymous id erases its user"
    )
    erase.add_argument("--request-id", help="the request's reference, for the audit")
    erase.add_argument("--no-run", action="store_true", help="do not run the pipeline afterwards")
    erase.add_argument(
        "--verbose", action="store_true", help="show Dagster's and dbt's logs as the run goes"
    )
    erase.set_defaults(handler=cmd_erase)

    export = commands.add_parser(
        "export", help="write one tenant's usage, daily and billing figures (Parquet, CSV)"
    )
    export.add_argument("--tenant", required=True, help="tenant id")
    export.add_argument("--out", help="folder to write (default $MAU_HOME/exports/<tenant>)")
    export.set_defaults(handler=cmd_export)

    demo = commands.add_parser("demo", help="generate, run and report: start here")
    _add_generate_options(demo)
    demo.add_argument(
        "--verbose", action="store_true", help="show Dagster's and dbt's logs as the run goes"
    )
    demo.set_defaults(handler=cmd_demo, full_refresh=False, full_recount=False)

    bench = commands.add_parser("bench", help="time the pipeline against the limit query (SPEC §6)")
    bench.add_argument(
        "--workload",
        action="append",
        choices=list(BENCH_WORKLOADS),
        help="tiny (20 k events), S (1 M), M (10 M), L (100 M, hours); repeatable; default S and M",
    )
    bench.add_argument(
        "--steps",
        help=f"comma-separated, default all: {','.join(BENCH_STEPS)} "
        "(the generator and the limit query always run)",
    )
    bench.add_argument(
        "--engine",
        choices=BENCH_ENGINES,
        default="duckdb",
        help="duckdb (default), or spark: the build on Spark (`mau spark-build`) at "
        "MAU_SPARK_MASTER, on the workloads loaded by DuckDB",
    )
    bench.add_argument("--repetitions", type=_positive, default=3, help="runs per step (default 3)")
    bench.add_argument("--seed", type=int, default=42, help="workload seed (default 42)")
    bench.add_argument("--cache", help="workloads and scratch homes (default $MAU_HOME/bench)")
    bench.add_argument("--format", choices=("table", "json"), default="table")
    bench.add_argument("--plot", help="also write an SVG of how cost grows to this file")
    bench.set_defaults(handler=cmd_bench)

    init_key = commands.add_parser("init-key", help="create the pseudonymization key file")
    init_key.set_defaults(handler=cmd_init_key)

    _add_user_commands(commands)
    _add_spark_commands(commands)

    for name, handler, port, default_text, text in (
        ("dashboard", cmd_dashboard, 8501, "8501", "serve the Streamlit dashboards on localhost"),
        ("ui", cmd_ui, 3000, "3000", "serve the Dagster UI on localhost"),
        # the docs' port is MAU_DOCS_PORT's, which the checks' metadata links to
        ("docs", cmd_docs, None, "$MAU_DOCS_PORT or 8080", "serve the dbt and data-quality docs"),
    ):
        server = commands.add_parser(name, help=text)
        server.add_argument(
            "--port", type=_port, default=port, help=f"port (default {default_text})"
        )
        server.set_defaults(handler=handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        settings.check_secrets()
        args.handler(args, settings)
    except MauError as exc:
        _say(f"mau: error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        _say("mau: interrupted")
        return 130
    except BrokenPipeError:
        # The reader stopped early (`mau report --format csv | head`): what it read is
        # all it wanted. Point stdout at nothing so the interpreter's final flush is
        # quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
