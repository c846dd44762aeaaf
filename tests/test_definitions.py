"""The Dagster definitions: lineage from landing files to marts, groups, job and schedule."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg

from orchestration.definitions import DAILY_JOB_NAME, build_definitions
from orchestration.ingest.sensors import build_new_files_sensor
from orchestration.review.assets import MODEL_REVIEW_JOB_NAME, MODEL_REVIEW_KEY


def _definitions(monkeypatch, tmp_path) -> dg.Definitions:
    monkeypatch.setenv("LEADQUAL_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("LEADQUAL_LANDING_DIR", str(tmp_path))
    build_definitions.cache_clear()
    try:
        return build_definitions()
    finally:
        build_definitions.cache_clear()


def test_lineage_runs_from_landing_files_to_marts(monkeypatch, tmp_path):
    graph = _definitions(monkeypatch, tmp_path).resolve_asset_graph()
    upstream = graph.get(dg.AssetKey(["marts", "leads"])).parent_keys
    assert dg.AssetKey(["marts", "lead_score_snapshots"]) in upstream
    ancestors = set()
    frontier = {dg.AssetKey(["marts", "leads"])}
    while frontier:
        key = frontier.pop()
        for parent in graph.get(key).parent_keys:
            if parent not in ancestors:
                ancestors.add(parent)
                frontier.add(parent)
    assert dg.AssetKey(["raw", "events"]) in ancestors
    assert dg.AssetKey(["landing", "leads"]) in ancestors
    assert dg.AssetKey(["landing", "events"]) in ancestors
    # Every model that reads the scoring rules waits for their validation.
    assert dg.AssetKey(["config", "scoring_rules"]) in ancestors
    ledger_parents = graph.get(dg.AssetKey(["marts", "score_ledger"])).parent_keys
    assert dg.AssetKey(["config", "scoring_rules"]) in ledger_parents


def test_assets_are_in_named_groups(monkeypatch, tmp_path):
    graph = _definitions(monkeypatch, tmp_path).resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups == {
        "landing",
        "ingest",
        "config",
        "staging",
        "intermediate",
        "marts",
        "serving",
        "publish",
        "review",
    }


def test_publishing_waits_for_every_gate_and_can_run_more_often(monkeypatch, tmp_path):
    defs = _definitions(monkeypatch, tmp_path)
    graph = defs.resolve_asset_graph()
    gated = {key.asset_key for key in graph.asset_check_keys if key.name == "great_expectations"}
    assert len(gated) == 13
    for publisher in (["publish", "sql_list"], ["serving", "bi_release"]):
        assert gated <= graph.get(dg.AssetKey(publisher)).parent_keys, publisher
    publish_job = defs.resolve_job_def("publish_sql_lists")
    assert (
        dg.AssetKey(["publish", "sales_notifications"])
        in publish_job.asset_layer.selected_asset_keys
    )
    sensor = defs.resolve_sensor_def("new_landing_files")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED


def test_daily_job_covers_every_asset_and_is_scheduled(monkeypatch, tmp_path):
    defs = _definitions(monkeypatch, tmp_path)
    job = defs.resolve_job_def(DAILY_JOB_NAME)
    graph = defs.resolve_asset_graph()
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    # Everything but the quarterly model review, which has its own job and schedule.
    assert job.asset_layer.selected_asset_keys == materializable - {MODEL_REVIEW_KEY}
    assert not any(key.path[-1].startswith("review_") for key in materializable)  # dbt tag review
    schedule = defs.resolve_schedule_def(f"{DAILY_JOB_NAME}_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert len(graph.asset_check_keys) >= 50  # dbt tests
    review_job = defs.resolve_job_def(MODEL_REVIEW_JOB_NAME)
    assert review_job.asset_layer.selected_asset_keys == {MODEL_REVIEW_KEY}
    review_schedule = defs.resolve_schedule_def(f"{MODEL_REVIEW_JOB_NAME}_schedule")
    assert review_schedule.cron_schedule == "0 9 1 1,4,7,10 *"
    assert review_schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_importing_the_definitions_module_does_no_work(tmp_path):
    """Import must not parse the dbt manifest or open the warehouse."""
    warehouse = tmp_path / "import.duckdb"
    code = (
        "import orchestration.definitions as d, dagster_dbt.asset_decorator as a;"
        "assert d.build_definitions.cache_info().currsize == 0"
    )
    env = {**os.environ, "LEADQUAL_WAREHOUSE": str(warehouse)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    assert not warehouse.exists()


def test_the_new_files_sensor_asks_for_one_run_per_change(monkeypatch, tmp_path):
    landing = tmp_path / "landing"
    (landing / "leads").mkdir(parents=True)
    defs = _definitions(monkeypatch, tmp_path)
    sensor = build_new_files_sensor(defs.resolve_job_def(DAILY_JOB_NAME), landing)
    context = dg.build_sensor_context()
    assert isinstance(sensor(context), dg.SkipReason)
    (landing / "leads" / "day1.csv").write_text("lead_id,created_at\nL1,2026-06-01\n")
    assert isinstance(sensor(context), dg.RunRequest)
    assert isinstance(sensor(context), dg.SkipReason)  # the same file: nothing new
    # A file in a sub-folder, moved in with a modification time older than the last check's.
    nested = landing / "leads" / "2026" / "day0.csv"
    nested.parent.mkdir()
    nested.write_text("lead_id,created_at\nL0,2026-05-31\n")
    os.utime(nested, ns=(1_000_000_000, 1_000_000_000))
    assert isinstance(sensor(context), dg.RunRequest)
    assert isinstance(sensor(context), dg.SkipReason)


def test_a_run_that_fails_or_is_canceled_outside_its_steps_raises_an_alert(monkeypatch, tmp_path):
    from orchestration.quality.alerts import alert_on_canceled_runs, alert_on_failed_runs
    from orchestration.resources import QualityArea

    @dg.op
    def step():
        pass

    @dg.job
    def killed_job():
        step()

    monkeypatch.setenv("LEADQUAL_DESTINATIONS", str(tmp_path / "none.yml"))  # no webhook
    quality = QualityArea(gates_file="unused.yml", path=str(tmp_path / "quality"))
    defs = _definitions(monkeypatch, tmp_path)
    assert {"alert_on_failed_runs", "alert_on_canceled_runs"} <= {s.name for s in defs.sensors}
    instance = dg.DagsterInstance.ephemeral()
    for sensor, end in ((alert_on_failed_runs, "failed"), (alert_on_canceled_runs, "canceled")):
        run = instance.create_run_for_job(killed_job)
        if end == "failed":
            event = instance.report_run_failed(run, message="worker exited with code -9")
        else:
            instance.report_run_canceling(run)
            event = instance.report_run_canceled(run, message="max runtime exceeded")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=event,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(run.run_id),
            resources={"quality": quality},
        )
        sensor(context)
    alerts = [json.loads(line) for line in quality.alert_file.read_text().splitlines()]
    assert [alert["job"] for alert in alerts] == ["killed_job", "killed_job"]
    assert "failed outside its steps: worker exited with code -9" in alerts[0]["details"][0]
    assert "was canceled outside its steps: max runtime exceeded" in alerts[1]["details"][0]


def test_only_the_latest_dbt_invocation_folders_are_kept(tmp_path):
    from orchestration.transform.project import prune_dbt_invocations

    names = [f"dbt_build-{n:07x}-abcdef{n % 10}" for n in range(12)] + ["0a16c19"]
    for age, name in enumerate(reversed(names)):  # the last name is the oldest
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (1_000_000 + age, 1_000_000 + age))
    (tmp_path / "compiled").mkdir()  # dbt's own folders stay
    (tmp_path / "manifest.json").write_text("{}")

    prune_dbt_invocations(tmp_path, keep=10)

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*names[:10], "compiled", "manifest.json"]
    )


def test_every_step_of_a_run_scores_the_day_the_run_was_created(monkeypatch):
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from orchestration import resources

    @dg.op
    def step():
        pass

    @dg.job
    def late_job():
        step()

    monkeypatch.delenv(resources.AS_OF_DATE_ENV, raising=False)
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(late_job)
    created = instance.get_run_record_by_id(run.run_id).create_timestamp.astimezone(UTC).date()
    context = SimpleNamespace(instance=instance, run=run)

    class AfterMidnight(datetime):  # the clock a later step of the run reads
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(days=1)

    monkeypatch.setattr(resources, "datetime", AfterMidnight)
    assert resources.as_of_date() == created + timedelta(days=1)
    assert resources.as_of_date(context) == created
    with resources.as_of_date_for_dbt(context):  # what the dbt commands of the run see
        assert os.environ[resources.AS_OF_DATE_ENV] == created.isoformat()
    assert resources.AS_OF_DATE_ENV not in os.environ
    monkeypatch.setenv(resources.AS_OF_DATE_ENV, "2026-06-30")  # an explicit day wins
    assert resources.as_of_date(context).isoformat() == "2026-06-30"
