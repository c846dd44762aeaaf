"""Publishing as Dagster assets, placed after every quality gate: the SQL list synced to each
destination of destinations.yml."""

from collections.abc import Iterable
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.publish.config import PublishConfigError, load_publish_config
from orchestration.publish.notify import notify_new_sqls
from orchestration.publish.senders import PublishError
from orchestration.publish.sync import sync_destination
from orchestration.quality.alerts import check_evaluations_of_run
from orchestration.quality.checks import GATE_CHECK_NAME
from orchestration.resources import WAREHOUSE_POOL, as_of_date

PUBLISH_LIST_KEY = dg.AssetKey(["marts", "sql_publish_list"])
SQL_LIST_KEY = dg.AssetKey(["publish", "sql_list"])
NOTIFICATIONS_KEY = dg.AssetKey(["publish", "sales_notifications"])
# The job that runs the staging and mart gates again, then publishes (definitions.py).
PUBLISH_JOB_NAME = "publish_sql_lists"


def _publish_config():
    """The destinations file; a broken one fails the step with its problems, not a traceback."""
    try:
        return load_publish_config()
    except PublishConfigError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None


def _require_gates_passed_in_this_run(
    context: dg.AssetExecutionContext, gates: list[dg.AssetCheckKey]
) -> None:
    """Stop unless every staging and mart gate passed in this run. Dagster holds a step back for
    the blocking checks of the same run only: materialized alone (the UI's "Materialize
    selected"), publishing would run with no gate at all."""
    passed = {
        evaluation.asset_check_key
        for _, evaluation in check_evaluations_of_run(context.instance, context.run.run_id)
        if evaluation.passed
    }
    missing = [gate.asset_key.to_user_string() for gate in gates if gate not in passed]
    if missing:
        raise dg.Failure(
            description="publishing runs only after the quality gates passed in the same run,"
            f" and these did not run or pass in this one: {', '.join(missing)}. Run the job"
            f" {PUBLISH_JOB_NAME} (or `leadqual publish`), which checks them first.",
            allow_retries=False,
        )


def build_publish_assets(gated_keys: Iterable[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    deps = sorted({PUBLISH_LIST_KEY, *gated_keys}, key=lambda key: key.to_user_string())
    # The gates the publish job runs again (the raw gates check the rows a run loads).
    gates = [dg.AssetCheckKey(key, GATE_CHECK_NAME) for key in deps if key.path[0] != "raw"]

    @dg.asset(
        key=SQL_LIST_KEY,
        group_name="publish",
        deps=deps,
        kinds={"duckdb", "postgres", "parquet"},
        pool=WAREHOUSE_POOL,
        description="The SQL list (marts.sql_publish_list) synced to every destination of "
        "destinations.yml: only what changed since the destination's last successful sync, "
        "recorded in publish.sync_ledger, once every quality gate has passed.",
    )
    def sql_list(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> dg.MaterializeResult:
        _require_gates_passed_in_this_run(context, gates)
        config = _publish_config()
        base_dir = Path(warehouse.database).parent
        reports, problems = {}, []
        with warehouse.get_connection() as con:
            # One destination that fails does not keep the list from the others.
            for destination in config.enabled:
                try:
                    report = sync_destination(con, destination, context.run.run_id, base_dir)
                except PublishError as error:
                    named = str(error).startswith(f"destination {destination.name}")
                    problems.append(str(error) if named else f"{destination.name}: {error}")
                    continue
                except Exception as error:  # a driver's own error (a column too narrow ...)
                    problems.append(f"{destination.name}: {type(error).__name__}: {error}")
                    continue
                reports[destination.name] = report.as_metadata()
                context.log.info(f"publish to {destination.name}: {report.as_metadata()}")
                if report.failed:
                    examples = dict(list(report.failed.items())[:3])
                    context.log.warning(
                        f"{destination.name}: {len(report.failed)} rows refused, sent again next "
                        f"run, e.g. {examples}"
                    )
                if report.refused_batches:
                    # The destination refused whole batches (a revoked token, a wrong address),
                    # unlike rows it refuses one by one (an invalid e-mail), which wait alone.
                    problems.append(
                        f"destination {destination.name} refused {len(report.refused_batches)}"
                        f" whole batches ({len(report.failed)} rows, sent again next run):"
                        f" {report.refused_batches[0]}"
                    )
        if problems:
            # Sales are told of new SQLs only once the list reached every destination.
            raise dg.Failure(
                description="; ".join(problems),
                metadata={"destinations": dg.MetadataValue.json(reports)},
                allow_retries=False,
            )
        return dg.MaterializeResult(
            metadata={
                "destinations": dg.MetadataValue.json(reports),
                "config": str(config.source),
            }
        )

    @dg.asset(
        key=NOTIFICATIONS_KEY,
        group_name="publish",
        deps=[SQL_LIST_KEY],
        kinds={"slack"},
        pool=WAREHOUSE_POOL,
        description="Sales told at once about every lead that newly reached SQL: a Slack-"
        "compatible webhook post and the day's digest file, once per SQL cycle.",
    )
    def sales_notifications(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> dg.MaterializeResult:
        _require_gates_passed_in_this_run(context, gates)
        config = _publish_config()
        with warehouse.get_connection() as con:
            outcome = notify_new_sqls(
                con,
                config.notifications,
                context.run.run_id,
                as_of_date(context),
                Path(warehouse.database).parent,
            )
        context.log.info(f"sales notifications: {outcome}")
        if outcome["failed"]:
            context.log.warning(
                f"{len(outcome['failed'])} notifications failed and are retried next run"
            )
        return dg.MaterializeResult(metadata={**outcome, "failed": len(outcome["failed"])})

    return [sql_list, sales_notifications]
