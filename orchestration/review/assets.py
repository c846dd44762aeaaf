"""The model review as a Dagster asset: run quarterly by the ``model_review`` schedule, or on
demand (``leadqual review``, or materialize review/model_review in the UI)."""

import json
from collections.abc import Sequence

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.quality.alerts import alert_on_failure
from orchestration.resources import (
    WAREHOUSE_POOL,
    as_of_date,
    as_of_date_for_dbt,
    load_settings,
)
from orchestration.review.pipeline import LIVE, ReviewDataError, copy_to_latest, run_review
from orchestration.review.report import review_figures, shadow_sentence
from orchestration.review.settings import ReviewSettingsError, load_review_settings
from orchestration.scoring.rules import ScoringRulesError, rules_path
from orchestration.transform.assets import SCORING_RULES_KEY
from orchestration.transform.project import dbt_project, prune_dbt_invocations

MODEL_REVIEW_KEY = dg.AssetKey(["review", "model_review"])
MODEL_REVIEW_JOB_NAME = "model_review"
# The first day of each quarter, after the daily run (06:00 UTC) has refreshed the outcomes.
QUARTERLY_CRON = "0 9 1 1,4,7,10 *"


@dg.asset(
    key=MODEL_REVIEW_KEY,
    group_name="review",
    deps=[
        dg.AssetKey(["marts", "lead_outcomes"]),
        dg.AssetKey(["marts", "lead_score_snapshots"]),
        SCORING_RULES_KEY,
    ],
    kinds={"dbt", "duckdb", "html"},
    pool=WAREHOUSE_POOL,
    description="Backtest the live scoring rules (and any file in LEADQUAL_REVIEW_RULES) against "
    "sales outcomes with point-in-time scores, calibrate a candidate rules file from the "
    "outcomes, and write the model review report. The figures stay in the warehouse schema "
    "review (review_backtest_summary, review_score_deciles, ...).",
)
def model_review(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
    settings = load_settings()
    as_of = as_of_date(context)

    def run_dbt(args: Sequence[str], dbt_vars: dict) -> None:
        prune_dbt_invocations()
        with as_of_date_for_dbt(context):
            invocation = dbt.cli(
                [*args, "--quiet", "--vars", json.dumps(dbt_vars)],
                manifest=dbt_project.manifest_path,
                raise_on_error=False,
            )
            for line in invocation.stream_raw_events():
                message = line.raw_event.get("info", {}).get("msg")
                if message and line.raw_event["info"].get("level") in ("warn", "error"):
                    context.log.warning(message)
        if not invocation.is_successful():
            raise dg.Failure(
                description=f"dbt {' '.join(args)} failed: {invocation.get_error()}",
                allow_retries=False,
            )

    try:
        result = run_review(
            run_dbt=run_dbt,
            warehouse=settings.warehouse_path,
            settings=load_review_settings(),
            live_rules=rules_path(),
            other_rules=settings.review_rules,
            out_dir=settings.review_dir / as_of.isoformat(),
            as_of=as_of,
            log=context.log,
        )
    except (ReviewSettingsError, ScoringRulesError, ReviewDataError) as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    copy_to_latest(settings.review_dir, result.folder)

    headline = review_figures(result.figures)
    sentences = [shadow_sentence(name, headline) for name in headline if name != LIVE]
    for sentence in sentences:
        context.log.info(sentence)
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(result.report_file)),
            "candidate_rules": dg.MetadataValue.path(str(result.candidate_file)),
            "configurations": list(result.configs),
            "what_would_change": dg.MetadataValue.md("\n".join(f"- {s}" for s in sentences)),
            "holdout_figures": dg.MetadataValue.json(headline),
            "warehouse_tables": dg.MetadataValue.json(sorted(result.figures)),
        }
    )


def build_review_job():
    return dg.define_asset_job(
        MODEL_REVIEW_JOB_NAME,
        selection=[MODEL_REVIEW_KEY],
        description="Review the scoring model against sales outcomes: backtest, calibrated "
        "candidate rules, HTML report (quarterly; `leadqual review` on demand).",
        hooks={alert_on_failure},
    )


def build_review_schedule(job) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        job=job,
        cron_schedule=QUARTERLY_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
