"""The same dbt project on Apache Spark (dbt-spark, method session: pyspark in this process and the
machine's Java) and on PostgreSQL (dbt-postgres against a real server): the core models, built
from the raw tables of the sample run, give every lead the same scores and stage, every day the
same snapshot and every lead the same stage history as on DuckDB. On PostgreSQL they are built
as the daily job builds them: a run the day before, then the next day's incremental run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta

import duckdb
import psycopg
import pytest

from orchestration.benchmark.runner import SCORE_COLUMNS
from orchestration.resources import AS_OF_DATE_ENV, WAREHOUSE_ENV
from orchestration.transform.assets import dbt_vars
from orchestration.transform.project import DBT_PROJECT_DIR
from tests.conftest import END_DATE
from tests.postgres_server import postgres_server

# The models behind scores and stages, and a shorter history than the daily default (both
# engines get the same vars): Spark runs each model as a job, so size sets the test's length.
CORE_MODELS = "+leads +lead_stage_history"
HISTORY_DAYS = 45
COMPARED = {
    "marts.leads": ["lead_id", *SCORE_COLUMNS, "lifecycle_stage"],
    "marts.lead_score_snapshots": [
        "as_of_date",
        "lead_id",
        "demographic_score",
        "firmographic_score",
        "behavioural_score",
        "timing_score",
        "combined_score",
        "meets_mql_thresholds",
        "meets_sql_threshold",
    ],
    "marts.lead_stage_history": ["lead_id", "lifecycle_stage", "entered_at", "stage_reason"],
}
# DuckDB column types of the raw tables -> PostgreSQL's and Spark's (others keep their name).
POSTGRES_TYPES = {"VARCHAR": "text", "JSON": "text", "DOUBLE": "double precision"}
SPARK_TYPES = {"VARCHAR": "string", "JSON": "string", "TIMESTAMP": "timestamp_ntz"}


def _columns_sql(described: list[tuple], types: dict[str, str], quote: str) -> str:
    return ", ".join(
        f"{quote}{column}{quote} {types.get(kind, kind.lower())}" for column, kind, *_ in described
    )


def _run_vars() -> dict:
    return {**dbt_vars(), "as_of_date": END_DATE.isoformat(), "score_history_days": HISTORY_DAYS}


def _leadqual_dbt(args: list[str], env: dict[str, str]) -> None:
    """dbt in a child process through `leadqual dbt` (which adds the validated scoring rules)."""
    completed = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "dbt", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]


def _rows(fetch, table: str) -> set[tuple]:
    return set(fetch(f"select {', '.join(COMPARED[table])} from {table}"))


@pytest.fixture(scope="module")
def duckdb_reference(pipeline, tmp_path_factory):
    """The core models rebuilt on a copy of the sample run's warehouse with the test's vars, and
    its raw tables exported as Parquet files (what another warehouse loads)."""
    folder = tmp_path_factory.mktemp("engines")
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    _leadqual_dbt(
        [
            "run",
            "--full-refresh",
            "--select",
            CORE_MODELS,
            "--target-path",
            str(folder / "target-duckdb"),
            "--vars",
            json.dumps({"score_history_days": HISTORY_DAYS}),
        ],
        {WAREHOUSE_ENV: str(warehouse), AS_OF_DATE_ENV: END_DATE.isoformat()},
    )
    raw = folder / "raw"
    raw.mkdir()
    with duckdb.connect(str(warehouse)) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        columns = {name: con.execute(f"describe raw.{name}").fetchall() for name in tables}
        for name in tables:
            con.execute(f"copy raw.{name} to '{raw / name}.parquet' (format parquet)")
            con.execute(f"copy raw.{name} to '{raw / name}.csv' (format csv, header)")
        reference = {
            table: _rows(lambda sql: con.execute(sql).fetchall(), table) for table in COMPARED
        }
    return folder, raw, columns, reference


def _assert_same_as_duckdb(reference: dict, fetch) -> None:
    for table in COMPARED:
        rows = _rows(fetch, table)
        assert rows == reference[table], (
            f"{table}: {len(rows - reference[table])} rows differ from DuckDB's, e.g. "
            f"{sorted(rows - reference[table])[:3]} vs {sorted(reference[table] - rows)[:3]}"
        )
    leads = reference["marts.leads"]
    assert len(leads) > 3000
    # Not a trivial agreement: the leads spread over the funnel and the scores vary.
    assert len({row[-1] for row in leads}) >= 6
    assert len({row[COMPARED["marts.leads"].index("combined_score")] for row in leads}) > 50


def test_spark_builds_the_core_models_with_duckdbs_scores_and_stages(duckdb_reference):
    from dbt.cli.main import dbtRunner
    from pyspark.sql import SparkSession

    folder, raw, columns, reference = duckdb_reference
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("leadqual-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.warehouse.dir", str(folder / "spark-warehouse"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    try:
        spark.sql("create database if not exists raw")
        for name, described in columns.items():
            column_sql = _columns_sql(described, SPARK_TYPES, "`")
            spark.sql(
                f"create table raw.{name} ({column_sql}) "
                f"using parquet location '{raw / name}.parquet'"
            )
        # dbt-spark's session method picks up this session (and the raw tables it holds).
        common = [
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            "spark",
            "--target-path",
            str(folder / "target-spark"),
            "--vars",
            json.dumps(_run_vars()),
        ]
        for command in (["seed"], ["run", "--select", CORE_MODELS]):
            result = dbtRunner().invoke([*command, *common])
            assert result.success, f"dbt {command[0]} on Spark failed: {result.exception}"
        _assert_same_as_duckdb(
            reference, lambda sql: [tuple(row) for row in spark.sql(sql).collect()]
        )
    finally:
        spark.stop()


def test_postgres_builds_the_core_models_with_duckdbs_scores_and_stages(duckdb_reference):
    folder, raw, columns, reference = duckdb_reference
    with postgres_server() as dsn:
        settings = dict(part.split("=", 1) for part in dsn.split())
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute("create schema raw")
            for name, described in columns.items():
                column_sql = _columns_sql(described, POSTGRES_TYPES, '"')
                con.execute(f"create table raw.{name} ({column_sql})")
                with con.cursor().copy(f"copy raw.{name} from stdin (format csv, header)") as copy:
                    copy.write((raw / f"{name}.csv").read_bytes())
        env = {
            "LEADQUAL_PG_HOST": settings["host"],
            "LEADQUAL_PG_PORT": settings["port"],
            "LEADQUAL_PG_USER": settings["user"],
            "LEADQUAL_PG_DATABASE": settings["dbname"],
            AS_OF_DATE_ENV: END_DATE.isoformat(),
        }
        common = [
            "--target",
            "postgres",
            "--target-path",
            str(folder / "target-postgres"),
            "--vars",
            json.dumps({"score_history_days": HISTORY_DAYS}),
        ]
        _leadqual_dbt(["seed", *common], env)
        # The daily flow: a first run the day before, without that day's events, whose window
        # starts on the reference's first day; then the day's events arrive and the next run
        # adds them (the incremental models' state queries and pre-hooks on PostgreSQL).
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(
                "create table raw.next_day_events as select * from raw.events"
                " where occurred_at >= %s",
                [END_DATE],
            )
            con.execute("delete from raw.events where occurred_at >= %s", [END_DATE])
        day_before = [*common[:-1], json.dumps({"score_history_days": HISTORY_DAYS - 1})]
        day_before_env = {**env, AS_OF_DATE_ENV: (END_DATE - timedelta(days=1)).isoformat()}
        _leadqual_dbt(["run", "--select", CORE_MODELS, *day_before], day_before_env)
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute("insert into raw.events select * from raw.next_day_events")
            con.execute(
                "update raw.events set _loaded_at = now() at time zone 'UTC'"
                " where event_id in (select event_id from raw.next_day_events)"
            )
        _leadqual_dbt(["run", "--select", CORE_MODELS, *common], env)
        with psycopg.connect(dsn) as con:
            _assert_same_as_duckdb(reference, lambda sql: con.execute(sql).fetchall())
            added = con.execute(
                "select count(*) from intermediate.int_events_categorized"
                " where computed_at = (select max(computed_at)"
                " from intermediate.int_events_categorized)"
            ).fetchone()[0]
        assert 0 < added < len(reference["marts.leads"]) * 2


def test_the_adapter_specific_sql_sits_in_a_few_macros():
    """Core models name no DuckDB-only syntax: no `::` casts, no `group by all`, no
    generate_series, unnest or JSON functions outside the dispatched macros."""
    forbidden = re.compile(
        r"::|group by all|\b(generate_series|unnest|json_keys|json_extract\w*)\s*\(",
        re.IGNORECASE,
    )
    offenders = [
        f"{path.relative_to(DBT_PROJECT_DIR)}: {match.group(0)}"
        for path in (DBT_PROJECT_DIR / "models").rglob("*.sql")
        if "review" not in path.parts
        for match in forbidden.finditer(path.read_text())
    ]
    assert offenders == []
    # The checker finds what it looks for.
    assert forbidden.search("select unnest(json_keys(x))") and forbidden.search("a::int")
