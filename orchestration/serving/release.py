"""Publish the marts for BI readers without ever blocking or half-updating them.

Each successful run writes a new *release* folder: a read-only DuckDB file with every mart, one
Parquet file per mart and the HTML report. Only when the release is complete does the symlink
``<serving>/current`` switch to it, in one atomic rename. A BI tool that keeps the previous
``current/marts.duckdb`` open goes on reading that complete release (the writer never touches
it, even when it is pruned: an open file outlives its directory entry) and sees the new data on
its next connection. The daily run writes the warehouse, never a file a reader has open.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

SERVING_DB_NAME = "marts.duckdb"
REPORT_NAME = "funnel_report.html"
RELEASES_KEPT = 3


@dataclass(frozen=True)
class Release:
    path: Path
    tables: dict[str, int]


def current_release(serving_dir: Path) -> Path:
    return serving_dir / "current"


def publish_release(
    warehouse: Path,
    serving_dir: Path,
    release_id: str,
    marts: list[str],
    drop_releases_before: datetime | None = None,
) -> Release:
    """Export the given marts of the warehouse, write the report, swap the release in.

    ``drop_releases_before``: also delete every earlier release built before this moment (the
    latest erasure: their files still hold the erased leads' personal data)."""
    from orchestration.serving.report import write_report

    releases = serving_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    final = releases / f"{stamp}-{release_id[:8]}"
    building = releases / f".building-{final.name}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir()

    tables: dict[str, int] = {}
    # The release file is the writable database; the warehouse is attached read-only.
    with duckdb.connect(str(building / SERVING_DB_NAME)) as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        for name in marts:
            source = f'warehouse.marts."{name}"'
            con.execute(f'create table main."{name}" as select * from {source}')
            con.execute(
                f"copy main.\"{name}\" to '{building / (name + '.parquet')}' (format parquet)"
            )
            tables[name] = con.execute(f'select count(*) from main."{name}"').fetchall()[0][0]
        con.execute("detach warehouse")
    write_report(building / SERVING_DB_NAME, building / REPORT_NAME)

    building.rename(final)
    _swap_current(serving_dir, final)
    _prune(releases, keep=final)
    if drop_releases_before is not None:
        for old in releases.iterdir():
            built = _built_at(old)
            if old != final and built is not None and built < drop_releases_before:
                shutil.rmtree(old, ignore_errors=True)
    return Release(path=final, tables=tables)


def _built_at(release: Path) -> datetime | None:
    try:
        return datetime.strptime(release.name.split("-")[0], "%Y%m%dT%H%M%S")
    except ValueError:
        return None


def _swap_current(serving_dir: Path, release: Path) -> None:
    link = current_release(serving_dir)
    staged = serving_dir / ".current-next"
    staged.unlink(missing_ok=True)
    staged.symlink_to(release.relative_to(serving_dir), target_is_directory=True)
    os.replace(staged, link)  # atomic: readers see the old release or the new one


def _prune(releases: Path, keep: Path) -> None:
    finished = sorted(p for p in releases.iterdir() if not p.name.startswith("."))
    for old in finished[:-RELEASES_KEPT]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
