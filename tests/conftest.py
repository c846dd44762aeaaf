"""Shared fixtures: one small generated landing folder (plus a hand-built lead), and one run of
the whole daily job on it, materialized in-process against a real DuckDB file and real dbt."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.resources import AS_OF_DATE_ENV, LANDING_DIR_ENV, WAREHOUSE_ENV, load_settings
from orchestration.sample_data import generate_landing
from orchestration.transform.project import prepare_dbt_project
from tests import hand_built

END_DATE = date(2026, 6, 30)
SAMPLE_LEADS = 4_000
SEED = 7


@dataclass
class PipelineRun:
    landing: Path
    warehouse: Path
    manifest: dict
    result: object

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """dagster-dbt reads manifest.json when definitions load: write it once per session (the
    runs' own preparation then finds it current)."""
    load_settings()  # puts this environment's dbt on PATH
    prepare_dbt_project()


@pytest.fixture(scope="session")
def sample_landing(tmp_path_factory) -> tuple[Path, dict]:
    landing = tmp_path_factory.mktemp("landing")
    manifest = generate_landing(landing, SAMPLE_LEADS, seed=SEED, end_date=END_DATE)
    hand_built.write(landing)
    return landing, manifest


@pytest.fixture
def pipeline_env(monkeypatch, tmp_path):
    """Point the pipeline at a landing folder and a fresh warehouse for one test."""

    def configure(landing: Path, warehouse: Path | None = None) -> Path:
        warehouse = warehouse or tmp_path / "warehouse.duckdb"
        monkeypatch.setenv(LANDING_DIR_ENV, str(landing))
        monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
        monkeypatch.setenv(AS_OF_DATE_ENV, END_DATE.isoformat())
        return warehouse

    return configure


@pytest.fixture(scope="session")
def pipeline(sample_landing, tmp_path_factory) -> Iterator[PipelineRun]:
    """The daily job, run once on the sample landing folder."""
    from orchestration.cli import execute_daily_job

    landing, manifest = sample_landing
    warehouse = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LANDING_DIR_ENV, str(landing))
        patch.setenv(WAREHOUSE_ENV, str(warehouse))
        patch.setenv(AS_OF_DATE_ENV, END_DATE.isoformat())
        result = execute_daily_job()
        assert result.success, "the daily job failed on the sample data"
        yield PipelineRun(landing, warehouse, manifest, result)


@pytest.fixture
def pipeline_copy(pipeline, pipeline_env, tmp_path) -> PipelineRun:
    """A private copy of the sample run (landing folder, warehouse, serving area) to change,
    with the environment pointing at it."""
    landing = tmp_path / "landing"
    shutil.copytree(pipeline.landing, landing)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    shutil.copytree(pipeline.warehouse.parent / "serving", tmp_path / "serving", symlinks=True)
    pipeline_env(landing, warehouse)
    return PipelineRun(landing, warehouse, pipeline.manifest, pipeline.result)
