"""``leadqual benchmark``: the daily job at a given size against a floor and a pandas script.

For N leads (about 20 events each) it generates a landing folder and holds its last day back,
then measures, each in a child process whose whole process tree's memory is sampled:

1. the full daily job on a new warehouse (every day but the last), per Dagster step and dbt model;
2. the daily incremental run: the last day's files arrive and the job runs again;
3. the floor (floor.sql): one hand-written DuckDB script over the landing files that computes
   every lead's score and stage as of the last day, and nothing else;
4. pandas_scoring.py: the same scores in pandas, as an analyst would write them.

It checks that the floor and pandas agree with the job's marts.leads, keeps every size's result in
``benchmarks.json`` and rewrites ``benchmarks.md`` (report.py) next to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from orchestration.resources import (
    AS_OF_DATE_ENV,
    DEFAULT_MEMORY_LIMIT,
    LANDING_DIR_ENV,
    MEMORY_LIMIT_ENV,
    WAREHOUSE_ENV,
)

FLOOR_SQL = Path(__file__).with_name("floor.sql")
GENERATION_MANIFEST = "_generation_manifest.json"
SAMPLE_EVERY_SECONDS = 0.1
# What marts.leads and the floor/pandas outputs are compared on.
SCORE_COLUMNS = [
    "demographic_score",
    "firmographic_score",
    "behavioural_score",
    "timing_score",
    "fit_grade",
    "combined_score",
]


@dataclass(frozen=True)
class Measurement:
    wall_seconds: float
    peak_rss_bytes: int


def measure(command: list[str], env: dict[str, str], log: Path) -> Measurement:
    """Run ``command`` and sample the resident memory of it and all its children until it ends.

    The peak is the largest sum over the process tree at one sample (every 0.1 s), so a dbt or
    DuckDB child counts together with the Python process that started it."""
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for member in tree:
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += member.memory_info().rss
            peak = max(peak, total)
            time.sleep(SAMPLE_EVERY_SECONDS)
        returncode = process.wait()
    wall = time.perf_counter() - started
    if returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command[:4])} ... failed (exit {returncode}):\n{tail}")
    return Measurement(wall, peak)


def prepare_landing(work_dir: Path, leads: int, seed: int, end_date: date) -> tuple[Path, Path]:
    """Generate (or reuse) the landing folder for ``leads`` and split it into the files of the
    full run (every day but ``end_date``) and the files that arrive on ``end_date``.

    Returns (all days, full-run folder); the full-run folder holds symbolic links."""
    from orchestration.sample_data import generate_landing

    generated = work_dir / f"landing_{leads}"
    manifest_path = generated / GENERATION_MANIFEST
    wanted = {"n_leads": leads, "seed": seed, "end_date": end_date.isoformat()}
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if {key: manifest.get(key) for key in wanted} != wanted:
        print(f"  generating {leads:,} leads into {generated}", flush=True)
        generate_landing(generated, leads, seed=seed, end_date=end_date, progress=False)
    full_run = work_dir / "landing"
    shutil.rmtree(full_run, ignore_errors=True)
    for path in generated.rglob("*"):
        if path.is_dir() or path.name.startswith("_") or "_truth" in path.parts:
            continue
        if _is_last_day_file(path, end_date):
            continue
        link = full_run / path.relative_to(generated)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(path)
    return generated, full_run


def _is_last_day_file(path: Path, end_date: date) -> bool:
    return path.stem.endswith(end_date.isoformat())


def add_last_day(generated: Path, full_run: Path, end_date: date) -> int:
    """Link the last day's files into the run's landing folder: the next day's drop."""
    added = 0
    for path in generated.rglob("*"):
        if path.is_file() and _is_last_day_file(path, end_date):
            link = full_run / path.relative_to(generated)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
            added += 1
    return added


def benchmark_size(leads: int, work_dir: Path, seed: int = 42) -> dict:
    """Measure one size; see the module docstring. Everything is written under ``work_dir``."""
    end_date = datetime.now(UTC).date() - timedelta(days=1)
    work_dir.mkdir(parents=True, exist_ok=True)
    generated, landing = prepare_landing(work_dir, leads, seed, end_date)
    manifest = json.loads((generated / GENERATION_MANIFEST).read_text())
    run_dir = work_dir / "run"
    shutil.rmtree(run_dir, ignore_errors=True)
    (run_dir / "dagster_home").mkdir(parents=True)
    warehouse = run_dir / "warehouse.duckdb"
    env = {
        **os.environ,
        LANDING_DIR_ENV: str(landing),
        WAREHOUSE_ENV: str(warehouse),
        "DAGSTER_HOME": str(run_dir / "dagster_home"),
    }
    job = [sys.executable, "-m", "orchestration.benchmark.job"]

    print(f"  full run ({leads:,} leads, as of {end_date - timedelta(days=1)})", flush=True)
    full_env = {**env, AS_OF_DATE_ENV: (end_date - timedelta(days=1)).isoformat()}
    about = {
        "leads": leads,
        "events": manifest["entities"]["events"]["rows_written"],
        "seed": seed,
        "as_of": end_date.isoformat(),
        "machine": machine_description(),
        "duckdb_memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT,
        "code_version": _code_version(),
    }
    try:
        full = measure([*job, str(run_dir / "full.json")], full_env, run_dir / "full.log")
    except RuntimeError as error:
        return failed_result(about, "full run", error, run_dir / "full.json")
    full_timings = json.loads((run_dir / "full.json").read_text())

    files_added = add_last_day(generated, landing, end_date)
    print(f"  incremental run ({files_added} new files, as of {end_date})", flush=True)
    next_env = {**env, AS_OF_DATE_ENV: end_date.isoformat()}
    try:
        incremental = measure(
            [*job, str(run_dir / "incremental.json")], next_env, run_dir / "incremental.log"
        )
    except RuntimeError as error:
        completed = {**full_timings, **_as_dict(full)}
        return failed_result(
            about, "incremental run", error, run_dir / "incremental.json", full=completed
        )
    incremental_timings = json.loads((run_dir / "incremental.json").read_text())

    print("  floor (one DuckDB script over the landing files)", flush=True)
    floor, floor_output = run_floor(generated, end_date, run_dir, env)

    print("  pandas scoring", flush=True)
    try:
        pandas_measured, pandas_output = run_pandas(generated, end_date, run_dir, env)
        pandas = _as_dict(pandas_measured)
    except RuntimeError as error:  # pandas holds everything in memory: it may not fit
        print(f"  pandas scoring failed: {str(error).splitlines()[0]}", flush=True)
        pandas = {"process_seconds": None, "peak_rss_bytes": None, "error": str(error)[:500]}
        pandas_output = run_dir / "pandas.parquet"

    agreement = compare_with_job(warehouse, floor_output, pandas_output)
    return {
        **about,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "full": {**full_timings, **_as_dict(full)},
        "incremental": {
            **incremental_timings,
            **_as_dict(incremental),
            "files_added": files_added,
        },
        "floor": _as_dict(floor),
        "pandas": pandas,
        "agreement": agreement,
    }


def failed_result(
    about: dict, stage: str, error: Exception, timings_file: Path, full: dict | None = None
) -> dict:
    """A size whose job did not finish: what failed and where, with the step timings so far,
    and the full run's figures (``full``) when only the incremental run failed."""
    lines = str(error).splitlines()
    reasons = [line.strip() for line in lines if "Error" in line and "Runtime Error" not in line]
    timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    reasons = timings.get("failed_checks", []) + reasons
    return {
        **about,
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "failed": {
            "stage": stage,
            "reason": reasons[0] if reasons else lines[0],
            "job_seconds": timings.get("wall_seconds"),
            "steps": timings.get("steps", {}),
            "dbt_models": timings.get("dbt_models", {}),
        },
        **({"full": full} if full else {}),
    }


# A tiny runner for the floor script, so that it runs in a process of its own like the others.
_RUN_SQL_FILE = "import sys, duckdb; duckdb.connect().execute(open(sys.argv[1]).read())"


def run_floor(
    landing: Path, as_of: date, folder: Path, env: dict[str, str]
) -> tuple[Measurement, Path]:
    """floor.sql over ``landing`` as of ``as_of`` in a child process; its Parquet output."""
    output = folder / "floor.parquet"
    script = folder / "floor.sql"
    script.write_text(
        FLOOR_SQL.read_text()
        .replace("{landing}", str(landing))
        .replace("{as_of}", as_of.isoformat())
        .replace("{output}", str(output))
    )
    command = [sys.executable, "-c", _RUN_SQL_FILE, str(script)]
    return measure(command, env, folder / "floor.log"), output


def run_pandas(
    landing: Path, as_of: date, folder: Path, env: dict[str, str]
) -> tuple[Measurement, Path]:
    """pandas_scoring.py over ``landing`` as of ``as_of`` in a child process; its output."""
    output = folder / "pandas.parquet"
    module = "orchestration.benchmark.pandas_scoring"
    command = [sys.executable, "-m", module, str(landing), as_of.isoformat(), str(output)]
    return measure(command, env, folder / "pandas.log"), output


def _as_dict(measurement: Measurement) -> dict:
    return {
        "process_seconds": measurement.wall_seconds,
        "peak_rss_bytes": measurement.peak_rss_bytes,
    }


def compare_with_job(warehouse: Path, floor_output: Path, pandas_output: Path) -> dict:
    """Share of the job's leads (marts.leads) whose score columns the floor and pandas give
    identically, and whose stage the floor gives identically."""
    same_scores = " and ".join(f"job.{c} = other.{c}" for c in SCORE_COLUMNS)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        figures = {}
        for name, path in (("floor", floor_output), ("pandas", pandas_output)):
            if not path.exists():
                continue
            stage = "job.lifecycle_stage = other.lifecycle_stage" if name == "floor" else "null"
            leads, found, scores, stages = con.execute(
                f"""
                select
                    count(*),
                    count(other.lead_id),
                    count(*) filter (where {same_scores}),
                    count(*) filter (where {stage})
                from marts.leads as job
                left join read_parquet('{path}') as other on job.lead_id = other.lead_id
                """
            ).fetchone()
            figures[name] = {
                "job_leads": leads,
                "leads_found": found,
                "same_scores": scores,
                "same_stage": stages if name == "floor" else None,
            }
    return figures


def _code_version() -> str:
    """The commit the benchmark ran (so results of different code are not compared blindly)."""
    completed = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    return completed.stdout.strip() or "unknown"


def machine_description() -> dict:
    memory = psutil.virtual_memory().total
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(terse=True),
    }


def record(result: dict, results_file: Path) -> dict:
    """Add one size's result to the results file (replacing an earlier run of that size)."""
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    results[str(result["leads"])] = result
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return results
