"""Publishing more often than daily: a sensor that starts the daily job when new landing files
arrive (off by default; turn it on in the Dagster UI, Automation tab)."""

from pathlib import Path

import dagster as dg

from orchestration.ingest.contract import ENTITIES


def newest_landing_change(landing_dir: Path) -> int:
    """The latest modification time (ns) of any file in the entity folders, 0 when none."""
    return max(
        (
            path.stat().st_mtime_ns
            for entity in ENTITIES
            for path in (landing_dir / entity).glob("*")
            if path.is_file()
        ),
        default=0,
    )


def build_new_files_sensor(job, landing_dir: Path) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Runs the daily job (ingest, dbt, gates, publishing, notifications) when a "
        "landing file is new or changed, at most every five minutes, so new SQLs reach sales "
        "within minutes instead of at the next 06:00 run.",
    )
    def new_landing_files(context: dg.SensorEvaluationContext):
        newest = newest_landing_change(landing_dir)
        if newest <= int(context.cursor or 0):
            return dg.SkipReason("no new landing files")
        context.update_cursor(str(newest))
        return dg.RunRequest(run_key=f"landing-{newest}")

    return new_landing_files
