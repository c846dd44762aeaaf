"""``leadqual``: the commands the README names.

- ``leadqual run``: materialize the daily job once, in this process, and print a summary. Without a
  configured landing folder it first generates sample data into ``data/landing``.
- ``leadqual generate``: write a sample landing folder that follows the landing contract.
- ``leadqual rules``: validate the scoring rules; ``--page`` prints the shared-definitions page.
- ``leadqual review``: review the scoring model against sales outcomes (backtest, calibrated
  candidate rules, HTML report); ``--rules FILE`` backtests other rules files too.
- ``leadqual dbt ARGS``: dbt in dbt_project/ with the validated scoring rules passed as vars.
- ``leadqual benchmark``: time the daily job (full and incremental) at given sizes against a
  hand-written DuckDB floor and pandas, and write docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

from orchestration.ingest.contract import ENTITIES
from orchestration.resources import (
    AS_OF_DATE_ENV,
    LANDING_DIR_ENV,
    REVIEW_RULES_ENV,
    WAREHOUSE_ENV,
    Settings,
    latest_scored_day,
    load_settings,
)

DEFAULT_SAMPLE_LEADS = 10_000
DEFAULT_BENCHMARK_REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
GENERATION_MANIFEST = "_generation_manifest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leadqual", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the daily lead-qualification job once")
    run.add_argument("--landing-dir", type=Path, help=f"landing folder (env {LANDING_DIR_ENV})")
    run.add_argument("--warehouse", type=Path, help=f"DuckDB file (env {WAREHOUSE_ENV})")
    run.add_argument(
        "--as-of", type=date.fromisoformat, help=f"score as of this day (env {AS_OF_DATE_ENV})"
    )
    run.add_argument(
        "--sample-leads",
        type=int,
        default=DEFAULT_SAMPLE_LEADS,
        help="leads to generate when no landing folder is configured (default %(default)s)",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the score and stage history instead of adding a day (after a rule change,"
        " or for a day before the warehouse's latest)",
    )
    run.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's logs")

    generate = commands.add_parser("generate", help="write a sample landing folder")
    generate.add_argument("--out", type=Path, required=True, help="landing folder to write")
    generate.add_argument("--leads", type=int, default=DEFAULT_SAMPLE_LEADS)
    generate.add_argument("--seed", type=int, default=42)
    generate.add_argument("--days", type=int, default=200, help="days of history (>= 180)")
    generate.add_argument(
        "--end-date", type=date.fromisoformat, help="last day of data (default yesterday, UTC)"
    )
    generate.add_argument(
        "--broken-share", type=float, default=0.005, help="share of contract-breaking rows"
    )

    publish = commands.add_parser(
        "publish", help="re-check the quality gates and sync the SQL list to every destination"
    )
    publish.add_argument(
        "--dry-run", action="store_true", help="show what each destination would get; send nothing"
    )

    review = commands.add_parser(
        "review",
        help="backtest the scoring rules against sales outcomes, calibrate a candidate, report",
    )
    review.add_argument(
        "--rules",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help=f"another scoring rules file to backtest (repeatable; env {REVIEW_RULES_ENV})",
    )
    review.add_argument("--warehouse", type=Path, help=f"DuckDB file (env {WAREHOUSE_ENV})")
    review.add_argument(
        "--as-of", type=date.fromisoformat, help=f"review as of this day (env {AS_OF_DATE_ENV})"
    )

    rules = commands.add_parser("rules", help="validate the scoring rules (scoring/rules.yml)")
    rules.add_argument("--page", action="store_true", help="print the shared-definitions page")

    dbt = commands.add_parser(
        "dbt", help="run dbt in dbt_project/ with the scoring rules, e.g. leadqual dbt build"
    )
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="arguments for dbt")

    benchmark = commands.add_parser(
        "benchmark", help="time the daily job against a floor and pandas; write the results"
    )
    benchmark.add_argument(
        "--leads", type=int, nargs="+", default=[100_000], help="sizes to run (default 100000)"
    )
    benchmark.add_argument(
        "--work-dir",
        type=Path,
        default=Path("data/benchmark"),
        help="where the landing folders and warehouses go (default data/benchmark)",
    )
    benchmark.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_BENCHMARK_REPORT,
        help="the Markdown report; its results JSON sits beside it (default docs/benchmarks.md)",
    )
    benchmark.add_argument("--seed", type=int, default=42)

    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "publish":
            return _publish(args)
        if args.command == "dbt":
            return _dbt(args.dbt_args)
        if args.command == "review":
            return _review(args)
        if args.command == "benchmark":
            return _benchmark(args)
        return _run(args)
    except (ValueError, OSError) as error:
        print(f"leadqual: {error}", file=sys.stderr)
        return 2


def _generate(args: argparse.Namespace) -> int:
    from orchestration.sample_data import generate_landing

    started = time.perf_counter()
    manifest = generate_landing(
        args.out,
        args.leads,
        seed=args.seed,
        end_date=args.end_date,
        days=args.days,
        broken_share=args.broken_share,
    )
    print(f"Wrote {args.out} in {time.perf_counter() - started:.1f} s")
    for entity, info in manifest["entities"].items():
        broken = sum(info["broken_rows"].values())
        print(f"  {entity:<20} {info['rows_written']:>12,} rows ({broken:,} broken on purpose)")
    return 0


def _rules(args: argparse.Namespace) -> int:
    from orchestration.scoring.page import render_definitions_page
    from orchestration.scoring.rules import load_scoring_config, rules_path

    config = load_scoring_config()
    if args.page:
        print(render_definitions_page(config))
    else:
        print(f"{rules_path()}: {len(config.rules)} rules, valid")
    return 0


def _dbt(dbt_args: list[str]) -> int:
    """dbt with the validated scoring rules and review settings merged into any --vars the user
    gives."""
    import json
    import subprocess

    import yaml

    from orchestration.transform.assets import dbt_vars
    from orchestration.transform.project import DBT_PROJECT_DIR, dbt_project

    load_settings()  # the warehouse path and this environment's dbt, for the subprocess
    scoring = dbt_vars()
    args = list(dbt_args)
    if "--vars" in args:
        at = args.index("--vars")
        user_vars = yaml.safe_load(args[at + 1]) if at + 1 < len(args) else None
        args[at : at + 2] = []
        scoring = {**(user_vars or {}), **scoring}
    command = ["dbt", *args, "--vars", json.dumps(scoring)]
    # The same output folder as the pipeline's dbt runs, unless the arguments name one.
    env = {**os.environ, "DBT_TARGET_PATH": str(dbt_project.target_path)}
    return subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, check=False).returncode


def _review(args: argparse.Namespace) -> int:
    from orchestration.review.assets import MODEL_REVIEW_JOB_NAME, MODEL_REVIEW_KEY
    from orchestration.review.settings import load_review_settings
    from orchestration.scoring.rules import load_scoring_config, rules_path

    if args.warehouse:
        os.environ[WAREHOUSE_ENV] = str(args.warehouse)
    if args.as_of:
        os.environ[AS_OF_DATE_ENV] = args.as_of.isoformat()
    if args.rules:
        missing = [str(path) for path in args.rules if not path.is_file()]
        if missing:
            raise ValueError(f"no such rules file: {', '.join(missing)}")
        os.environ[REVIEW_RULES_ENV] = os.pathsep.join(str(p.resolve()) for p in args.rules)
    settings = load_settings()
    if not settings.warehouse_path.exists():
        raise ValueError(f"no warehouse at {settings.warehouse_path}: run `leadqual run` first")
    # Invalid files are reported here, before the job starts (each error lists every problem).
    load_review_settings()
    for path in (rules_path(), *settings.review_rules):
        load_scoring_config(path)
    started = time.monotonic()
    # The review's own messages say what failed; Dagster's console log would add stack traces.
    result = execute_job(MODEL_REVIEW_JOB_NAME, log_level="CRITICAL")
    if not result.success:
        print("The model review failed:", file=sys.stderr)
        _print_step_failures(result)
        return 1
    metadata = next(
        event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key == MODEL_REVIEW_KEY
    )
    print(f"Model review done in {time.monotonic() - started:.1f} s\n")
    print(metadata["what_would_change"].value)
    print("\nHeld-out lead cycles:")
    print(f"  {'configuration':<16}{'AUC opp.':>10}{'AUC won':>10}{'MQLs':>8}{'MQL->SQL':>10}")
    for name, figures in metadata["holdout_figures"].value.items():
        print(
            f"  {name:<16}{figures['auc_opportunity'] or 0:>10.3f}{figures['auc_won'] or 0:>10.3f}"
            f"{figures['mqls']:>8,}{(figures['mql_to_sql_rate'] or 0):>10.1%}"
        )
    print(f"\nreport:          {metadata['report'].value}")
    print(f"candidate rules: {metadata['candidate_rules'].value}")
    print("figures:         warehouse schema review (review_backtest_summary, ...)")
    return 0


def _benchmark(args: argparse.Namespace) -> int:
    from orchestration.benchmark import report, runner

    results_file = args.output.with_suffix(".json")
    for leads in args.leads:
        if leads < 1:
            raise ValueError(f"--leads must be positive, got {leads}")
    for leads in args.leads:
        print(f"Benchmark at {leads:,} leads (work folder {args.work_dir / str(leads)})")
        result = runner.benchmark_size(leads, (args.work_dir / str(leads)).resolve(), args.seed)
        results = runner.record(result, results_file)
        args.output.write_text(report.render(results))
        if "failed" in result:
            failure = result["failed"]
            print(f"  the {failure['stage']} failed: {failure['reason']}")
            continue
        ratios = report.ratios(result)
        agreement = result["agreement"]
        print(
            f"  full job {result['full']['process_seconds']:.1f} s "
            f"(peak {result['full']['peak_rss_bytes'] / 2**30:.2f} GiB), incremental "
            f"{result['incremental']['process_seconds']:.1f} s, floor "
            f"{result['floor']['process_seconds']:.1f} s, pandas "
            f"{result['pandas']['process_seconds'] or float('nan'):.1f} s\n"
            f"  full / floor {ratios['job_to_floor']:.1f}x, pandas / floor "
            f"{ratios['pandas_to_floor'] or float('nan'):.1f}x, incremental / full "
            f"{100 * ratios['incremental_to_full']:.0f} %\n"
            f"  floor agrees on {agreement['floor']['same_scores']:,} scores and "
            f"{agreement['floor']['same_stage']:,} stages, pandas on "
            f"{agreement.get('pandas', {}).get('same_scores', 0):,} scores, of "
            f"{agreement['floor']['job_leads']:,} leads"
        )
    print(f"Wrote {args.output} and {results_file}")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.landing_dir:
        os.environ[LANDING_DIR_ENV] = str(args.landing_dir)
    if args.warehouse:
        os.environ[WAREHOUSE_ENV] = str(args.warehouse)
    if args.as_of:
        os.environ[AS_OF_DATE_ENV] = args.as_of.isoformat()
    settings = load_settings()
    if not settings.landing_dir_is_configured:
        _ensure_sample_landing(settings.landing_dir, args.sample_leads)
    elif not settings.landing_dir.is_dir():
        raise ValueError(f"landing folder {settings.landing_dir} does not exist")

    started = time.perf_counter()
    # Without --verbose the summary below says what failed; Dagster's own log stays quiet.
    result = execute_daily_job(
        log_level="DEBUG" if args.verbose else "CRITICAL", full_refresh=args.full_refresh
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        _print_failures(result)
        return 1
    _print_summary(result, settings, elapsed)
    return 0


def _publish(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration.publish.config import load_publish_config
    from orchestration.publish.sync import sync_destination

    settings = load_settings()
    if not settings.warehouse_path.exists():
        raise ValueError(f"no warehouse at {settings.warehouse_path}: run `leadqual run` first")
    if not args.dry_run:
        from orchestration.definitions import PUBLISH_JOB_NAME

        configured = os.environ.get(AS_OF_DATE_ENV)
        # The gates check the day the warehouse was last scored for, not today: between
        # midnight and that day's run, today has no scores yet.
        scored = None if configured else latest_scored_day(settings.warehouse_path)
        if scored is not None:
            os.environ[AS_OF_DATE_ENV] = scored.isoformat()
        try:
            result = execute_job(PUBLISH_JOB_NAME, log_level="CRITICAL", prepare_dbt=False)
        finally:
            if not configured:
                os.environ.pop(AS_OF_DATE_ENV, None)
        if not result.success:
            _print_failures(result, job="Publishing")
            return 1
        _print_publishing(result)
        return 0
    config = load_publish_config()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for destination in config.enabled:
            report = sync_destination(
                con, destination, "dry-run", settings.warehouse_path.parent, dry_run=True
            )
            print(
                f"{destination.name} ({destination.type}, {destination.mode}): would upsert "
                f"{report.upserts}, delete {report.deletes}; {report.unchanged} unchanged; "
                f"{report.resumed_batches} unfinished batches would be resent"
            )
            for change in report.changes[:20]:
                detail = (
                    ""
                    if change.payload is None
                    else (
                        f" score {change.payload['combined_score']}, owner "
                        f"{change.payload['follow_up_owner']}"
                    )
                )
                print(f"  {change.operation:<6} {change.lead_id}{detail}")
            if len(report.changes) > 20:
                print(f"  ... and {len(report.changes) - 20} more")
    return 0


def _ensure_sample_landing(landing_dir: Path, leads: int) -> None:
    if (landing_dir / GENERATION_MANIFEST).exists():
        print(f"Using the sample landing folder {landing_dir}")
        return
    from orchestration.sample_data import generate_landing

    print(f"No landing folder configured: generating {leads:,} sample leads into {landing_dir}")
    generate_landing(landing_dir, leads)


def execute_daily_job(log_level: str = "WARNING", full_refresh: bool = False):
    """Materialize the daily job in this process with the settings of the environment;
    ``full_refresh`` runs its dbt build with ``--full-refresh``."""
    from orchestration.definitions import DAILY_JOB_NAME

    ops = {"dbt_build": {"config": {"full_refresh": True}}} if full_refresh else {}
    return execute_job(DAILY_JOB_NAME, log_level, ops=ops)


def execute_job(
    name: str, log_level: str = "WARNING", prepare_dbt: bool = True, ops: dict | None = None
):
    """Run a job of the definitions in this process with the settings of the environment.

    ``prepare_dbt=False`` keeps an existing dbt manifest (for jobs that do not run dbt); ``ops``
    is the run config of the job's ops."""
    import dagster as dg

    from orchestration.definitions import build_definitions
    from orchestration.transform.project import dbt_project, prepare_dbt_project

    load_settings()  # also puts this environment's dbt first on PATH
    # Definitions read the dbt manifest; write it for the current models first.
    if prepare_dbt or not dbt_project.manifest_path.exists():
        prepare_dbt_project()
    build_definitions.cache_clear()
    job = build_definitions().resolve_job_def(name)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}, "ops": ops or {}}
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    return job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)


def _print_failures(result, job: str = "The daily job") -> None:
    import dagster as dg

    from orchestration.quality.alerts import describe_check, outcome_of_failure

    print(f"{job} failed:", file=sys.stderr)
    _print_step_failures(result)
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        for line in describe_check(evaluation):
            print(f"  {line}", file=sys.stderr)
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    outcome = outcome_of_failure(failed_steps[0] if failed_steps else None)
    settings = load_settings()
    print(
        f"{outcome[0].upper()}{outcome[1:]}\n"
        f"Alert written to {settings.quality_dir / 'alerts.jsonl'}",
        file=sys.stderr,
    )


def _print_step_failures(result) -> None:
    from orchestration.quality.alerts import summarize_error

    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        error = event.event_specific_data.error
        while error.cause is not None:
            error = error.cause
        message = summarize_error(error.message)
        if error.cls_name == "Failure":  # raised on purpose: its description says it all
            message = message.split(": ", 1)[-1]
        print(f"  step {event.step_key}: {message}", file=sys.stderr)


def _print_publishing(result) -> None:
    """What the run sent to each destination and how many SQLs sales were told about."""
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        for name, figures in (
            metadata["destinations"].value if "destinations" in metadata else {}
        ).items():
            print(
                f"  published to {name}: {figures['upserts']:,} upserts, {figures['deletes']:,} "
                f"deletes, {figures['unchanged']:,} unchanged, {figures['failed_rows']:,} refused"
            )
        if "new_sqls" in metadata:
            notified = metadata["new_sqls"].value - metadata["failed"].value
            print(
                f"  sales notified of {notified:,} new SQLs "
                f"(webhook {metadata['webhook'].value}; digest {metadata['digest'].value})"
            )


def _print_summary(result, settings: Settings, elapsed: float) -> None:
    import duckdb

    from data_quality.validate import data_docs_index
    from orchestration.quality.alerts import describe_check
    from orchestration.transform.assets import DEFINITIONS_PAGE_NAME

    print(f"Daily job succeeded in {elapsed:.1f} s (run {result.run_id}).")
    print(f"\n{'entity':<20} {'accepted':>10} {'rejected':>10}   (this run; warehouse totals)")
    ingest_metadata = {
        event.asset_key.path[1]: event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "raw"
    }
    for entity in ENTITIES:
        meta = ingest_metadata[entity]
        print(
            f"{entity:<20} {meta['rows_accepted'].value:>10,} {meta['rows_rejected'].value:>10,}"
            f"   ({meta['total_rows_accepted'].value:,}; {meta['total_rows_rejected'].value:,})"
        )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        stages = con.execute(
            """
            select lifecycle_stage, count(*) from marts.leads group by lifecycle_stage
            order by case lifecycle_stage when 'lead' then 1 when 'nurture' then 2
                when 'mql' then 3 when 'sql' then 4 when 'opportunity' then 5
                when 'won' then 6 when 'lost' then 7 when 'recycled' then 8 else 9 end
            """
        ).fetchall()
        account_mqls = con.execute(
            "select count(*) filter (where is_account_mql),"
            " count(*) filter (where is_surfaced_by_account_only) from marts.account_scores"
        ).fetchall()[0]
        publish_list_rows = con.execute("select count(*) from marts.sql_publish_list").fetchone()[0]
    print("\nleads per stage")
    for stage, count in stages:
        print(f"  {stage:<12} {count:>10,}")
    print(
        f"\naccount-level MQLs: {account_mqls[0]:,} "
        f"({account_mqls[1]:,} of them without any qualified lead)"
    )
    checks = result.get_asset_check_evaluations()
    warnings = [evaluation for evaluation in checks if not evaluation.passed]
    print(f"\nquality gates: {len(checks) - len(warnings)} of {len(checks)} checks passed")
    for evaluation in warnings:  # the run succeeded, so these are warn-only checks
        for line in describe_check(evaluation):
            print(f"  {line}")
    print(f"publish list: {publish_list_rows:,} SQLs ready for sales")
    _print_publishing(result)
    print(f"Data Docs: {data_docs_index(settings.quality_dir)}")
    print(f"scoring definitions: {settings.warehouse_path.parent / DEFINITIONS_PAGE_NAME}")
    print(f"BI serving copy and report: {settings.serving_dir / 'current'}")
    print(f"warehouse: {settings.warehouse_path}")
    print(f"landing:   {settings.landing_dir}")


if __name__ == "__main__":
    sys.exit(main())
