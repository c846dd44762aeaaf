"""Publish the marts for BI readers without ever blocking or half-updating them.

Each successful run writes a new *release* folder: a read-only DuckDB file with every mart, one
Parquet file per mart and the HTML report. Only when the release is complete does the symlink
``<serving>/current`` switch to it, in one atomic rename. A BI tool that keeps the previous
``current/marts.duckdb`` open goes on reading that complete release (the writer never touches
it, even when it is pruned: an open file outlives its directory entry) and sees the new data on
its next connection. The daily run writes the warehouse, never a file a reader has open.

Marts with a slice of rows per day (the score history) grow by a day per run and would make
every release copy the whole history. A release starts from a copy of the previous release's
file instead and replaces only the days whose rows differ (per day: row count and a hash of
every row); their Parquet is a folder with one partition per day (``<mart>/as_of_date=<day>/``),
whose unchanged days are hard links to the previous release's files. Each release keeps the
fingerprints of its days (``day_fingerprints.json``), so the next one hashes only the
warehouse's rows: at 1M leads hashing the 137 million rows of both sides took 6.3 s of a 19 s
release that changed nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

SERVING_DB_NAME = "marts.duckdb"
REPORT_NAME = "funnel_report.html"
FINGERPRINTS_NAME = "day_fingerprints.json"
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
    by_day_marts: frozenset[str] = frozenset(),
    memory_limit: str | None = None,
) -> Release:
    """Export the given marts of the warehouse, write the report, swap the release in.

    ``by_day_marts``: marts with a slice of rows per as_of_date, released by day (see above).
    ``memory_limit``: DuckDB's limit for the export (the warehouse connections' setting).
    ``drop_releases_before``: also delete every earlier release built before this moment (the
    latest erasure: their files still hold the erased leads' personal data)."""
    from orchestration.serving.report import write_report

    releases = serving_dir / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    final = releases / f"{stamp}-{release_id[:8]}"
    building = releases / f".building-{final.name}"
    # A build that failed leaves its folder, with a full copy of the marts' personal data: no
    # other build runs beside this one (the warehouse pool), so every such folder is stale.
    for stale in releases.glob(".building-*"):
        shutil.rmtree(stale, ignore_errors=True)
    building.mkdir()

    # Not after an erasure: the copied file could still hold deleted rows' bytes.
    previous = current_release(serving_dir).resolve()
    built = _built_at(previous)
    if (
        by_day_marts & set(marts)
        and (previous / SERVING_DB_NAME).is_file()
        and not (drop_releases_before and (built is None or built < drop_releases_before))
    ):
        shutil.copyfile(previous / SERVING_DB_NAME, building / SERVING_DB_NAME)
    else:
        previous = None

    tables: dict[str, int] = {}
    previous_fingerprints = _read_fingerprints(previous)
    fingerprints: dict[str, dict[str, list[int]]] = {}
    # The release file is the writable database; the warehouse is attached read-only.
    config = {"memory_limit": memory_limit} if memory_limit else {}
    with duckdb.connect(str(building / SERVING_DB_NAME), config=config) as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        released = con.execute(
            "select table_name from duckdb_tables() where database_name = current_database()"
        ).fetchall()
        kept = {name for (name,) in released}
        for name in kept - set(marts):
            con.execute(f'drop table main."{name}"')
        for name in marts:
            if name in by_day_marts:
                fingerprints[name] = _release_by_day(
                    con,
                    name,
                    building,
                    previous if name in kept else None,
                    previous_fingerprints.get(name),
                )
            else:
                source = f'warehouse.marts."{name}"'
                con.execute(f'create or replace table main."{name}" as select * from {source}')
                con.execute(
                    f"copy main.\"{name}\" to '{building / (name + '.parquet')}' (format parquet)"
                )
            tables[name] = con.execute(f'select count(*) from main."{name}"').fetchall()[0][0]
        con.execute("detach warehouse")
    (building / FINGERPRINTS_NAME).write_text(json.dumps(fingerprints))
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


def _release_by_day(
    con: duckdb.DuckDBPyConnection,
    name: str,
    building: Path,
    previous: Path | None,
    released: dict[str, list[int]] | None,
) -> dict[str, list[int]]:
    """Bring main.<name> (the previous release's copy, if ``previous``, whose day fingerprints
    are ``released`` where it kept them) to the warehouse's rows by replacing the days that
    differ, and write its Parquet partitions: the changed days anew, the others linked from
    ``previous``. Returns the fingerprints of the days released."""
    source = f'warehouse.marts."{name}"'
    folder = building / name
    folder.mkdir()
    built = _day_fingerprints(con, source)
    if previous is not None and _columns(con, source) != _columns(con, f'main."{name}"'):
        # A column added, dropped, renamed, moved or retyped: the fingerprints hash values
        # only, and the copied days have the old layout, so the mart is released whole.
        previous = None
    if previous is None:
        con.execute(f'create or replace table main."{name}" as select * from {source}')
        _write_days(con, name, folder)
        return built
    if released is None:  # a release from before the fingerprints were kept
        released = _day_fingerprints(con, f'main."{name}"')
    changed = sorted(
        day for day in built.keys() | released.keys() if built.get(day) != released.get(day)
    )
    if changed:
        in_changed = _in_days(changed)
        con.execute(f'delete from main."{name}" where as_of_date {in_changed}')
        con.execute(
            f'insert into main."{name}" select * from {source} where as_of_date {in_changed}'
        )
    if not (previous / name).is_dir():  # released before its Parquet was by day
        _write_days(con, name, folder)
        return built
    for partition in (previous / name).iterdir():
        if partition.name.removeprefix("as_of_date=") not in changed:
            (folder / partition.name).mkdir()
            for file in partition.iterdir():
                os.link(file, folder / partition.name / file.name)
    if changed:
        _write_days(con, name, folder, changed)
    return built


def _write_days(
    con: duckdb.DuckDBPyConnection, name: str, folder: Path, only: list[str] | None = None
) -> None:
    """Write main.<name>'s rows as Parquet partitions ``<folder>/as_of_date=<day>/data_0.parquet``
    (the layout of DuckDB's partitioned copy), for every day it holds or the days of ``only``
    it still holds.

    One copy per day rather than one ``partition_by`` copy: the table holds its days in runs of
    rows, so each day's query reads its own row groups, and the 200 days of snapshots at 1M
    leads are written in 12.7 s instead of 21.9 s."""
    where = "" if only is None else f"where as_of_date {_in_days(only)}"
    days = con.execute(f'select distinct as_of_date from main."{name}" {where} order by 1')
    for (day,) in days.fetchall():
        partition = folder / f"as_of_date={day}"
        partition.mkdir()
        con.execute(
            f'copy (select * exclude (as_of_date) from main."{name}"'
            f" where as_of_date = date '{day}') to '{partition / 'data_0.parquet'}'"
            " (format parquet)"
        )


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe {table}").fetchall()]


def _in_days(days: list[str]) -> str:
    return "in (" + ", ".join(f"date '{day}'" for day in days) + ")"


def _day_fingerprints(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, list[int]]:
    """Per day of ``table``: its row count and the sum of a hash of every row."""
    described = con.execute(f"select * from {table} limit 0").description
    columns = ", ".join(f'"{column[0]}"' for column in described)
    rows = con.execute(
        f"select cast(as_of_date as varchar), count(*), sum(hash({columns})) from {table}"
        " group by as_of_date"
    ).fetchall()
    return {day: [row_count, int(row_hash)] for day, row_count, row_hash in rows}


def _read_fingerprints(release: Path | None) -> dict[str, dict[str, list[int]]]:
    try:
        return json.loads((release / FINGERPRINTS_NAME).read_text()) if release else {}
    except (OSError, ValueError):  # none kept, or unreadable: hashed again from the release
        return {}


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
