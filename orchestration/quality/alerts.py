"""Tell people when a run stops before publishing: which step or gate failed, with examples.

Every failed step of the daily job (a quality gate, a dbt test, ingest, the scoring rules) raises
one alert: logged at error level, appended as one JSON line to ``<quality dir>/alerts.jsonl``,
and posted through the webhook that tells sales about new SQLs (destinations.yml
``notifications``), when one is configured.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg

from orchestration.publish.config import PublishConfigError, load_publish_config
from orchestration.publish.notify import post_webhook
from orchestration.publish.senders import PublishError
from orchestration.resources import QualityArea

EXAMPLES_PER_FAILURE = 3


def outcome_of_failure(step_key: str | None) -> str:
    """What a failed step means for sales and BI. Steps before the gates' end stop everything;
    the BI release and publishing run side by side after them, so either may fail while the
    other went out."""
    if step_key and step_key.startswith("publish__"):
        return (
            "publishing did not finish; destinations that were synced keep what they received,"
            " and `leadqual publish` completes it once the cause is fixed."
        )
    if step_key and step_key.startswith("serving__"):
        return (
            "the BI release did not go out: BI keeps the last good release, while the SQL list"
            " may have been published to sales in this run."
        )
    return "nothing was published; sales and BI keep the outputs of the last good run."


def check_evaluations_of_run(instance: dg.DagsterInstance, run_id: str) -> list:
    """Every asset check evaluation a run reported, with the step that reported it."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return [(record.step_key, record.dagster_event.event_specific_data) for record in records]


def failed_checks_of_step(instance: dg.DagsterInstance, run_id: str, step_key: str | None):
    """The failed asset check evaluations a step of a run reported."""
    return [
        evaluation
        for step, evaluation in check_evaluations_of_run(instance, run_id)
        if step == step_key and not evaluation.passed
    ]


# What dagster-dbt puts before the errors dbt logged, in the message of a failed dbt command.
DBT_ERRORS_HEADING = "Errors parsed from dbt logs:"


def summarize_error(message: str) -> str:
    """One line for a step's error: for a dbt command, its first error with the first line that
    explains it ("Database Error in model x: Binder Error: ..."), not the SQL caret or Jinja
    trace that end dbt's message; otherwise the message's last line."""
    _, found, dbt_errors = message.partition(DBT_ERRORS_HEADING)
    if found:
        lines = (line.strip() for line in dbt_errors.splitlines())
        telling = [
            line
            for line in lines
            if line
            and line != "Encountered an error:"
            and not line.startswith((">", "LINE "))
            and set(line) - set("^ ")
        ]
        if telling:
            return ": ".join(telling[:2])
    lines = message.strip().splitlines()
    return lines[-1].strip() if lines else ""


def describe_failure(failure: dict) -> str:
    """One line for one failed expectation or dbt test: what, where, how many, examples."""
    where = f" on {failure['column']}" if failure.get("column") else ""
    count = failure.get("unexpected_count")
    size = f": {count} rows" if count is not None else ""
    if failure.get("observed_value") is not None and count is None:
        size = f": observed {failure['observed_value']}"
        if failure.get("expected"):
            size += f", expected {failure['expected']}"
    elif (failure.get("expected") or "").startswith(("min_value", "max_value")):
        size += f" outside {failure['expected']}"  # a short bound, unlike a value set
    examples = failure.get("examples") or []
    shown = f", e.g. {examples[:EXAMPLES_PER_FAILURE]}" if examples else ""
    suite = f"{failure['suite']}/" if failure.get("suite") else ""
    return f"{suite}{failure['expectation']}{where}{size}{shown}"


def describe_check(evaluation) -> list[str]:
    outcome = "failed" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warned"
    lines = [f"check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} {outcome}"]
    failures = evaluation.metadata.get("failing_examples")
    for failure in failures.value if failures is not None else []:
        lines.append("  " + describe_failure(failure))
    return lines


@dg.failure_hook(required_resource_keys={"quality"})
def alert_on_failure(context: dg.HookContext) -> None:
    lines = [
        line
        for evaluation in failed_checks_of_step(context.instance, context.run_id, context.step_key)
        for line in describe_check(evaluation)
    ]
    if not lines and context.op_exception is not None:
        lines = [f"step {context.step_key} failed: {summarize_error(str(context.op_exception))}"]
    summary = f"Run {context.run_id} of {context.job_name}: {outcome_of_failure(context.step_key)}"
    raise_alert(
        context.resources.quality,
        context.run_id,
        context.job_name,
        context.step_key,
        summary,
        lines,
        context.log,
    )


def _alert_outside_steps(context: dg.RunStatusSensorContext, quality: QualityArea) -> None:
    """A run that failed or was canceled with no failed step (canceled from the UI or by run
    monitoring's time limit, its process killed, never started) fires no failure hook."""
    run = context.dagster_run
    if context.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        return  # the failure hook alerted for each failed step
    ended = "was canceled" if run.status == dg.DagsterRunStatus.CANCELED else "failed"
    message = summarize_error(context.dagster_event.message or "") or "no message"
    summary = f"Run {run.run_id} of {run.job_name}: {outcome_of_failure(None)}"
    lines = [f"the run {ended} outside its steps: {message}"]
    raise_alert(quality, run.run_id, run.job_name, None, summary, lines, context.log)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.FAILURE,
    name="alert_on_failed_runs",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="An alert for a run that failed with no failed step (its process killed, not "
    "started); failed steps alert through the jobs' failure hook.",
)
def alert_on_failed_runs(context: dg.RunStatusSensorContext, quality: QualityArea) -> None:
    _alert_outside_steps(context, quality)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.CANCELED,
    name="alert_on_canceled_runs",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="An alert for a run canceled from the UI or by run monitoring's time limit.",
)
def alert_on_canceled_runs(context: dg.RunStatusSensorContext, quality: QualityArea) -> None:
    _alert_outside_steps(context, quality)


def raise_alert(
    quality: QualityArea,
    run_id: str,
    job: str,
    step: str | None,
    summary: str,
    lines: list[str],
    log,
) -> None:
    """Log the alert at error level, append it to alerts.jsonl and post it to the webhook."""
    log.error("\n".join([summary, *lines]))
    quality.root.mkdir(parents=True, exist_ok=True)
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "job": job,
        "step": step,
        "summary": summary,
        "details": lines,
    }
    with quality.alert_file.open("a", encoding="utf-8") as alerts:
        alerts.write(json.dumps(record) + "\n")
    try:
        webhook = load_publish_config().notifications.webhook_url
        post_webhook(webhook, "\n".join([f":rotating_light: {summary}", *lines]))
    except (PublishConfigError, PublishError) as error:
        log.warning(f"the alert could not be posted to the webhook: {error}")
