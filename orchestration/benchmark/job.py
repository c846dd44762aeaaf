"""Run the daily job once, as ``leadqual run`` does, and write its timings to a JSON file.

The benchmark starts this in a child process (so that the memory it samples is the run's alone)
with a DAGSTER_HOME of its own: the step timings come from that instance's event log, the dbt
model timings from the materializations dagster-dbt records.
Run as ``python -m orchestration.benchmark.job TIMINGS.json``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(output: Path) -> int:
    import dagster as dg

    from orchestration.cli import execute_daily_job
    from orchestration.quality.alerts import describe_check

    started = time.perf_counter()
    result = execute_daily_job(log_level="CRITICAL")
    wall = time.perf_counter() - started
    instance = dg.DagsterInstance.get()
    step_started: dict[str, float] = {}
    steps: dict[str, float] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            step_started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            steps[event.step_key] = entry.timestamp - step_started[event.step_key]
    dbt_models = {
        "/".join(event.asset_key.path): event.materialization.metadata["Execution Duration"].value
        for event in result.get_asset_materialization_events()
        if "Execution Duration" in event.materialization.metadata
    }
    checks = result.get_asset_check_evaluations()
    output.write_text(
        json.dumps(
            {
                "success": result.success,
                "wall_seconds": wall,
                "steps": steps,
                "dbt_models": dbt_models,
                "checks_passed": sum(check.passed for check in checks),
                "checks": len(checks),
                "failed_checks": [
                    "; ".join(line.strip() for line in describe_check(check))
                    for check in checks
                    if not check.passed
                ],
            },
            indent=1,
        )
    )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
