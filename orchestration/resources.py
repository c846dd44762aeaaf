"""Where the pipeline reads and writes, from environment variables, and the Dagster resources.

Every setting has one environment variable, so the Dagster UI, the schedule, the ``leadqual`` CLI
and a plain ``dbt build`` all agree:

- ``LEADQUAL_LANDING_DIR``: the landing folder (one sub-folder per entity). Default:
  ``data/landing`` in the repository, filled with generated sample data by ``leadqual run``.
- ``LEADQUAL_WAREHOUSE``: the DuckDB file. Default: ``data/warehouse.duckdb`` in the repository.
- ``LEADQUAL_AS_OF_DATE``: the day scores and stages are computed for (``YYYY-MM-DD``).
  Default: in a Dagster run, the day (UTC) the run was created; elsewhere today (UTC).
- ``LEADQUAL_DUCKDB_MEMORY_LIMIT``: the most memory one DuckDB connection may use before it spills
  to disk (dbt and ingest). Default: ``2GB``.
- ``LEADQUAL_SERVING_DIR``: where BI tools read the exported marts and the report
  (``<dir>/current``). Default: ``serving`` next to the warehouse.
- ``LEADQUAL_QUALITY_GATES``: the quality gate limits. Default: ``data_quality/gates.yml``.
- ``LEADQUAL_QUALITY_DIR``: where the gates keep Great Expectations Data Docs and where alerts
  are written (``alerts.jsonl``). Default: ``quality`` next to the warehouse.
- ``LEADQUAL_REVIEW_DIR``: where the model review writes its report and candidate rules
  (``<dir>/<as-of day>/`` and ``<dir>/latest``). Default: ``review`` next to the warehouse.
- ``LEADQUAL_REVIEW_RULES``: other scoring rules files the model review backtests next to the
  live rules and the candidate (separated by ``:``, ``;`` on Windows). Default: none.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "data"

LANDING_DIR_ENV = "LEADQUAL_LANDING_DIR"
WAREHOUSE_ENV = "LEADQUAL_WAREHOUSE"
AS_OF_DATE_ENV = "LEADQUAL_AS_OF_DATE"
SERVING_DIR_ENV = "LEADQUAL_SERVING_DIR"
MEMORY_LIMIT_ENV = "LEADQUAL_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "2GB"
QUALITY_GATES_ENV = "LEADQUAL_QUALITY_GATES"
QUALITY_DIR_ENV = "LEADQUAL_QUALITY_DIR"
REVIEW_DIR_ENV = "LEADQUAL_REVIEW_DIR"
REVIEW_RULES_ENV = "LEADQUAL_REVIEW_RULES"
DEFAULT_QUALITY_GATES = REPO_ROOT / "data_quality" / "gates.yml"
# Every asset and check that opens the DuckDB warehouse runs in this concurrency pool: DuckDB
# allows one writing process per file, and a deployment (deploy/dagster.yaml) limits the pool to
# one run at a time, so a schedule, a sensor and a manual run never open the file together.
WAREHOUSE_POOL = "duckdb_warehouse"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    landing_dir_is_configured: bool
    serving_dir: Path
    memory_limit: str
    quality_gates_file: Path
    quality_dir: Path
    review_dir: Path
    review_rules: tuple[Path, ...]


def load_settings() -> Settings:
    """Read the settings and prepare the environment dbt subprocesses inherit.

    dbt resolves a relative path from ``dbt_project/``, Python from the working directory; writing
    the absolute path back to the environment makes both open the same file. The dbt executable
    installed beside this Python comes first on PATH, so an unactivated virtualenv works too.
    """
    python_bin = str(Path(sys.executable).parent)
    if python_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = python_bin + os.pathsep + os.environ.get("PATH", "")
    landing = os.environ.get(LANDING_DIR_ENV)
    warehouse = Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_DATA_DIR / "warehouse.duckdb")
    warehouse = warehouse.expanduser().resolve()
    os.environ[WAREHOUSE_ENV] = str(warehouse)
    serving = os.environ.get(SERVING_DIR_ENV)
    quality_gates = os.environ.get(QUALITY_GATES_ENV)
    quality_dir = os.environ.get(QUALITY_DIR_ENV)
    review_dir = os.environ.get(REVIEW_DIR_ENV)
    review_rules = [p for p in os.environ.get(REVIEW_RULES_ENV, "").split(os.pathsep) if p]
    return Settings(
        landing_dir=_resolved(landing) if landing else DEFAULT_DATA_DIR / "landing",
        warehouse_path=warehouse,
        landing_dir_is_configured=bool(landing),
        serving_dir=_resolved(serving) if serving else warehouse.parent / "serving",
        memory_limit=os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT,
        quality_gates_file=_resolved(quality_gates) if quality_gates else DEFAULT_QUALITY_GATES,
        quality_dir=_resolved(quality_dir) if quality_dir else warehouse.parent / "quality",
        review_dir=_resolved(review_dir) if review_dir else warehouse.parent / "review",
        review_rules=tuple(_resolved(path) for path in review_rules),
    )


def as_of_date(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext | None = None,
) -> date:
    """The day being scored, read when a run needs it (a long-lived Dagster process must not
    keep the day it started on): the env var, else in a run the day (UTC) the run was created,
    else today. Every step of a run gets the same day, also when the run crosses midnight (a
    step's own today would score day D in dbt and look for day D + 1 in the gates)."""
    configured = os.environ.get(AS_OF_DATE_ENV)
    if configured:
        return date.fromisoformat(configured)
    if context is not None:
        record = context.instance.get_run_record_by_id(context.run.run_id)
        if record is not None and record.create_timestamp is not None:
            return record.create_timestamp.astimezone(UTC).date()
    return datetime.now(UTC).date()


@contextmanager
def as_of_date_for_dbt(context: dg.AssetExecutionContext) -> Iterator[None]:
    """The run's day in the environment of the dbt commands started inside the block (dbt reads
    it through the var as_of_date), so dbt scores the day the gates check."""
    configured = os.environ.get(AS_OF_DATE_ENV)
    os.environ[AS_OF_DATE_ENV] = as_of_date(context).isoformat()
    try:
        yield
    finally:
        if configured is None:
            os.environ.pop(AS_OF_DATE_ENV, None)


def _resolved(path: str) -> Path:
    return Path(path).expanduser().resolve()


class Warehouse(DuckDBResource):
    """The DuckDB warehouse, whose connection is closed however the step ends.

    DuckDBResource closes it only when the step's block ends without an error; a failed step
    (a publishing destination down) then left the file attached in the run's process, and the
    next step that opens it (the BI release) failed too."""

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = super().get_connection().__enter__()
        try:
            yield con
        finally:
            con.close()


class LandingZone(dg.ConfigurableResource):
    """The landing folder the ingest assets read: ``<path>/<entity>/*.{csv,parquet,jsonl}``."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class ServingArea(dg.ConfigurableResource):
    """The folder BI tools read: ``<path>/current`` is the latest complete release."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)


class QualityArea(dg.ConfigurableResource):
    """The quality gates' limits file and the folder for Data Docs and alerts."""

    gates_file: str
    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)

    @property
    def alert_file(self) -> Path:
        return self.root / "alerts.jsonl"


def latest_scored_day(warehouse: Path) -> date | None:
    """The latest day the warehouse holds scores for (None before its first run), read
    without taking the write lock."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not table_exists(con, "marts.lead_score_snapshots"):
            return None
        return con.execute("select max(as_of_date) from marts.lead_score_snapshots").fetchone()[0]


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.table`` exists in the connection's database (read-only connections
    too): for tables a step creates on its first run."""
    schema, _, name = table.partition(".")
    return con.execute(
        "select count(*) > 0 from duckdb_tables() where schema_name = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0][0]


@contextmanager
def rows_relation(
    con: duckdb.DuckDBPyConnection, name: str, columns: Sequence[str], rows: Sequence[Sequence]
) -> Iterator[str]:
    """Python rows as the relation ``name`` for the statements of the block: one statement
    writes them all, where executemany costs DuckDB about 2 ms a row (15 s for the first sync
    of a million leads' SQL list)."""
    con.register(name, pd.DataFrame(list(rows), columns=list(columns)))
    try:
        yield name
    finally:
        con.unregister(name)


def return_freed_memory() -> None:
    """Hand memory freed by earlier steps back to the system (glibc only).

    The job process waits while dbt builds in a process of its own; without this it kept about
    1.6 GB that the ingest and the quality gates had freed (glibc returns freed memory inside its
    heap only on request), measured at 1,000,000 leads."""
    gc.collect()
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)
