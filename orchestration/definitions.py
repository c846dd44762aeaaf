"""The one Definitions object: ingest, scoring rules, dbt, the daily job and its schedule, and
the quarterly model review.

Loaded lazily (``@dg.definitions``): importing this module reads no manifest and opens no file.
DuckDB allows one writing process per file, so every step runs in one process, in order.
"""

from __future__ import annotations

from functools import cache

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_dbt.metadata_set import DbtMetadataSet

from orchestration.ingest.assets import build_ingest_assets, build_landing_specs
from orchestration.ingest.sensors import build_new_files_sensor
from orchestration.publish.assets import PUBLISH_JOB_NAME, build_publish_assets
from orchestration.quality.alerts import (
    alert_on_canceled_runs,
    alert_on_failed_runs,
    alert_on_failure,
)
from orchestration.quality.checks import build_quality_checks
from orchestration.resources import (
    LandingZone,
    QualityArea,
    ServingArea,
    Warehouse,
    load_settings,
)
from orchestration.review.assets import build_review_job, build_review_schedule, model_review
from orchestration.serving.assets import build_bi_release_asset
from orchestration.transform.assets import build_dbt_assets, scoring_rules
from orchestration.transform.project import dbt_project, prepare_dbt_project

DAILY_JOB_NAME = "daily_lead_qualification"


@cache
def build_definitions() -> dg.Definitions:
    settings = load_settings()
    prepare_dbt_project(only_in_dev=True)

    dbt_assets = build_dbt_assets()
    mart_keys = [key for key in dbt_assets.keys if key.path[0] == "marts"]
    by_day_keys = [
        key
        for key in mart_keys
        if DbtMetadataSet.extract(dbt_assets.specs_by_key[key].metadata).materialization_type
        == "daily_batches"
    ]
    quality_checks = build_quality_checks()
    # Publishing depends on every gated asset, not only on the marts it exports: Dagster holds
    # a step back only for the blocking checks of its direct upstream assets, and the staging
    # models were built in the same dbt step as the marts, before their gates ran.
    gate_keys = [key for checks in quality_checks for key in checks.check_keys]
    gated_keys = {key.asset_key for key in gate_keys}
    daily_job = dg.define_asset_job(
        DAILY_JOB_NAME,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups("landing", "review"),
        description="Ingest new landing files, build and test every dbt model, then publish the "
        "marts and the report for BI once every quality gate has passed.",
        hooks={alert_on_failure},
    )
    publish_job = dg.define_asset_job(
        PUBLISH_JOB_NAME,
        # The raw gates check the rows a run loads; this job loads none.
        selection=dg.AssetSelection.checks(
            *(key for key in gate_keys if key.asset_key.path[0] != "raw")
        )
        | dg.AssetSelection.groups("publish"),
        description="Check the warehouse as it is against the staging and mart quality gates "
        "again, then sync the SQL list and notify sales: for a destination that was down, or to "
        "publish between daily runs (`leadqual publish`).",
        hooks={alert_on_failure},
    )
    review_job = build_review_job()
    return dg.Definitions(
        assets=[
            *build_landing_specs(),
            *build_ingest_assets(),
            scoring_rules,
            dbt_assets,
            build_bi_release_asset(mart_keys, gated_keys, by_day_keys),
            *build_publish_assets(gated_keys),
            model_review,
        ],
        asset_checks=quality_checks,
        jobs=[daily_job, publish_job, review_job],
        sensors=[
            build_new_files_sensor(daily_job, settings.landing_dir),
            alert_on_failed_runs,
            alert_on_canceled_runs,
        ],
        schedules=[
            dg.ScheduleDefinition(
                job=daily_job,
                cron_schedule="0 6 * * *",
                execution_timezone="UTC",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            ),
            build_review_schedule(review_job),
        ],
        resources={
            "warehouse": Warehouse(
                database=str(settings.warehouse_path),
                connection_config={"memory_limit": settings.memory_limit},
            ),
            "landing": LandingZone(path=str(settings.landing_dir)),
            "serving": ServingArea(path=str(settings.serving_dir)),
            "quality": QualityArea(
                gates_file=str(settings.quality_gates_file), path=str(settings.quality_dir)
            ),
            "dbt": DbtCliResource(project_dir=dbt_project),
        },
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
