"""The production Dagster instance (deploy/dagster.yaml): runs kept in a real PostgreSQL server,
schedules and sensors run by the daemon, and one warehouse run at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from orchestration.definitions import build_definitions
from orchestration.resources import WAREHOUSE_POOL
from orchestration.transform.assets import scoring_rules
from tests.postgres_server import postgres_server

DEPLOYMENT_FILE = Path(__file__).resolve().parents[1] / "deploy" / "dagster.yaml"


@pytest.fixture
def definitions(monkeypatch, tmp_path) -> dg.Definitions:
    monkeypatch.setenv("LEADQUAL_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("LEADQUAL_LANDING_DIR", str(tmp_path))
    build_definitions.cache_clear()
    try:
        yield build_definitions()
    finally:
        build_definitions.cache_clear()


def test_every_step_that_opens_the_warehouse_is_in_the_warehouse_pool(definitions):
    steps = [*definitions.resolve_asset_graph().assets_defs, *definitions.asset_checks]
    opening = [
        step
        for step in steps
        if step.is_executable and {"warehouse", "dbt"} & set(step.required_resource_keys)
    ]
    assert len(opening) >= 12  # ingest, erasure, dbt, gates, BI release, publishing, review
    assert {step.node_def.pool for step in opening} == {WAREHOUSE_POOL}
    # The scoring rules asset reads a file only: it may run while the warehouse is busy.
    assert scoring_rules.op.pool is None


def test_the_production_instance_keeps_runs_in_postgres_and_one_warehouse_run_at_a_time(
    monkeypatch, tmp_path
):
    with postgres_server() as dsn:
        settings = dict(part.split("=", 1) for part in dsn.split())
        home = tmp_path / "dagster_home"
        home.mkdir()
        shutil.copy(DEPLOYMENT_FILE, home / "dagster.yaml")
        for name, value in {
            "DAGSTER_PG_HOST": settings["host"],
            "DAGSTER_PG_PORT": settings["port"],
            "DAGSTER_PG_USER": settings["user"],
            "DAGSTER_PG_PASSWORD": "",
            "DAGSTER_PG_DB": settings["dbname"],
            "LEADQUAL_WAREHOUSE": str(tmp_path / "w.duckdb"),
        }.items():
            monkeypatch.setenv(name, value)

        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert type(instance.scheduler).__name__ == "DagsterDaemonScheduler"
            pools = instance.get_concurrency_config().pool_config
            assert pools.pool_granularity.value == "run" and pools.default_pool_limit == 1

            result = dg.materialize([scoring_rules], instance=instance)
            assert result.success
            run_id = result.run_id

        # The run and its events are in PostgreSQL, readable by any other process.
        with psycopg.connect(dsn) as con:
            stored = con.execute("select status from runs where run_id = %s", [run_id]).fetchall()
            events = con.execute(
                "select count(*) from event_logs where run_id = %s", [run_id]
            ).fetchone()[0]
        assert stored == [("SUCCESS",)]
        assert events > 5
