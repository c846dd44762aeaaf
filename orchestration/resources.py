"""Where the pipeline reads and writes, from environment variables, and the Dagster resources.

Every setting has one environment variable, so the Dagster UI, the schedule, the ``leadqual`` CLI
and a plain ``dbt build`` all agree:

- ``LEADQUAL_LANDING_DIR``: the landing folder (one sub-folder per entity). Default:
  ``data/landing`` in the repository, filled with generated sample data by ``leadqual run``.
- ``LEADQUAL_WAREHOUSE``: the DuckDB file. Default: ``data/warehouse.duckdb`` in the repository.
- ``LEADQUAL_AS_OF_DATE``: the day scores and stages are computed for (``YYYY-MM-DD``).
  Default: today (UTC).
- ``LEADQUAL_DUCKDB_MEMORY_LIMIT``: the most memory one DuckDB connection may use before it spills
  to disk (dbt and ingest). Default: ``4GB``.
- ``LEADQUAL_SERVING_DIR``: where BI tools read the exported marts and the report
  (``<dir>/current``). Default: ``serving`` next to the warehouse.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT / "data"

LANDING_DIR_ENV = "LEADQUAL_LANDING_DIR"
WAREHOUSE_ENV = "LEADQUAL_WAREHOUSE"
AS_OF_DATE_ENV = "LEADQUAL_AS_OF_DATE"
SERVING_DIR_ENV = "LEADQUAL_SERVING_DIR"
MEMORY_LIMIT_ENV = "LEADQUAL_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "4GB"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_path: Path
    landing_dir_is_configured: bool
    serving_dir: Path
    memory_limit: str


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
    return Settings(
        landing_dir=_resolved(landing) if landing else DEFAULT_DATA_DIR / "landing",
        warehouse_path=warehouse,
        landing_dir_is_configured=bool(landing),
        serving_dir=_resolved(serving) if serving else warehouse.parent / "serving",
        memory_limit=os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT,
    )


def _resolved(path: str) -> Path:
    return Path(path).expanduser().resolve()


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
