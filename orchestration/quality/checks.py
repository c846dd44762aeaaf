"""The quality gates: blocking asset checks that run the data_quality suites.

Every gated asset has one check named ``great_expectations``. A failed gate stops every asset
downstream of it in the run, publishing included; its metadata holds the GE result summary and
the failing examples, and the Data Docs of the run are written to ``<quality dir>/data_docs``.
Frames stay bounded: raw tables are checked on the rows this run loaded, staged events on one
aggregate, marts on the columns the suite needs; and a query of more than
FRAME_ROWS rows (a first load holds the whole event history) is validated in slices of rows
split by a hash of the key, so a key's rows meet in one slice and uniqueness holds across them.
Shares (a `mostly`) are then checked per slice of about FRAME_ROWS rows; a table's size is
checked once, on its count (data_quality.expectations.row_count_suite).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow
from dagster_duckdb import DuckDBResource

from data_quality.expectations import row_count_frame, row_count_suite
from data_quality.gates import GateSettings, GateSettingsError, load_gate_settings
from data_quality.suites import (
    leads_mart,
    load_rejects,
    publish_list,
    raw,
    score_snapshots,
    stage_history,
    staged_events,
    staged_leads,
)
from data_quality.validate import (
    ValidationSummary,
    data_docs_index,
    merge_summaries,
    prune_results,
    suite_columns,
    update_data_docs_index,
    validate,
)
from orchestration.ingest.contract import ENTITIES, Entity
from orchestration.ingest.loader import quote
from orchestration.resources import (
    WAREHOUSE_POOL,
    QualityArea,
    as_of_date,
    return_freed_memory,
)
from orchestration.scoring.rules import load_scoring_config

GATE_CHECK_NAME = "great_expectations"
FRAME_ROWS = 1_000_000
SLICED_ROWS = "_gate_sliced_rows"
# Row counts of passing gates: the baseline of the row_count_change limits.
ROW_COUNTS_DDL = """
create schema if not exists quality;
create table if not exists quality.gate_row_counts (
    table_name varchar, run_id varchar, row_count bigint, recorded_at timestamp
);
alter table quality.gate_row_counts add column if not exists as_of_date date;
"""
# The raw gates' verdict on each load, the latest only. A load that failed is judged again, with
# the run's own load, by every later raw gate of its entity until it passes (its rows fixed or
# deleted) or is accepted (passed set to true by hand): otherwise the next run, which loads only
# new files, or a re-execution, whose run loaded nothing, would pass the gate and send rows that
# failed it on to the marts and to sales.
LOAD_VERDICTS_DDL = """
create table if not exists quality.raw_load_verdicts (
    entity varchar not null,
    load_id varchar not null,
    passed boolean not null,
    run_id varchar not null,
    judged_at timestamp not null
);
"""


@dataclass
class GateRun:
    """What one gate check works with: the warehouse, the run, the limits, the as-of day."""

    con: duckdb.DuckDBPyConnection
    run_id: str
    settings: GateSettings
    quality: QualityArea
    as_of: date = field(default_factory=as_of_date)  # the run's day (as_of_date(context))
    row_counts: dict[str, int] = field(default_factory=dict)
    judged_loads: tuple[str, list[str]] | None = None  # entity and loads a raw gate judged

    @property
    def as_of_end(self) -> datetime:
        return datetime.combine(self.as_of + timedelta(days=1), time())

    def frame(self, sql: str, **params) -> pd.DataFrame:
        return self.con.execute(sql, params).df()

    def validate(
        self, suite, frame: pd.DataFrame, key: list[str] | tuple = ()
    ) -> ValidationSummary:
        return validate(
            suite,
            frame,
            key_columns=key,
            quality_dir=self.quality.root,
            run_name=self.run_id,
            update_index=False,  # once per gate, after its last validation (see _gate)
        )

    def row_count(self, sql: str, **params) -> int:
        return self.con.execute(f"select count(*) from ({sql}) as counted", params).fetchone()[0]

    def validate_query(
        self, suite, sql: str, key: list[str] | tuple, rows: int | None = None, **params
    ) -> ValidationSummary:
        """Validate the rows of ``sql``, in slices of about FRAME_ROWS rows by a hash of
        ``key``; ``rows`` is their count when the caller has it already."""
        rows = self.row_count(sql, **params) if rows is None else rows
        slices = -(-rows // FRAME_ROWS)
        if slices <= 1 or not key:
            return self.validate(suite, self.frame(sql, **params), key)
        whole_table = [e.expectation_type for e in suite.expectations if _is_table_level(e)]
        if whole_table:
            raise ValueError(
                f"suite {suite.name} is validated in {slices} slices, so its {whole_table} would "
                "judge each slice as if it were the table: check the size with validate_row_count"
            )
        # The query runs once into a temp table ordered by slice (DuckDB spills it beyond its
        # memory limit), so each slice reads its own row groups instead of running the query
        # again: at 20 million events, 0.5 s a slice instead of 2 s.
        hashed = f"hash({', '.join(quote(column) for column in key)}) % {slices}"
        self.con.execute(
            f"create or replace temp table {SLICED_ROWS} as select *, {hashed} as _gate_slice"
            f" from ({sql}) as rows order by _gate_slice",
            params,
        )
        summaries = []
        try:
            for part in range(slices):
                frame = self.frame(
                    f"select * exclude (_gate_slice) from {SLICED_ROWS} where _gate_slice = {part}"
                )
                summaries.append(self.validate(suite, frame, key))
                del frame
                return_freed_memory()
        finally:
            self.con.execute(f"drop table if exists {SLICED_ROWS}")
        return merge_summaries(summaries)

    def validate_row_count(
        self, name: str, rows: int, allowed: tuple[int | None, int | None] | None
    ) -> list[ValidationSummary]:
        if allowed is None:
            return []
        return [self.validate(row_count_suite(name, allowed), row_count_frame(rows))]

    def allowed_rows(self, table: str, current_rows: int) -> tuple[int, int] | None:
        """Row-count bounds from the last passing gate on ``table`` for this as-of day or an
        earlier one (a rebuild for an earlier day has fewer leads than the later days' runs);
        remembers today's count."""
        self.row_counts[table] = current_rows
        change = self.settings.row_count_change.get(table)
        if change is None:
            return None
        previous = self.con.execute(
            "select row_count from quality.gate_row_counts where table_name = ?"
            " and (as_of_date is null or as_of_date <= ?) order by recorded_at desc limit 1",
            [table, self.as_of],
        ).fetchone()
        return change.bounds(previous[0] if previous else None)

    def loads_to_judge(self, entity: str) -> list[str]:
        """This run's load and every earlier load of the entity whose raw gate failed."""
        failed = self.con.execute(
            "select load_id from quality.raw_load_verdicts where entity = ? and not passed",
            [entity],
        ).fetchall()
        self.judged_loads = (entity, sorted({self.run_id, *(row[0] for row in failed)}))
        return self.judged_loads[1]

    def remember_load_verdicts(self, passed: bool) -> None:
        if self.judged_loads is None:
            return
        entity, loads = self.judged_loads
        self.con.execute(
            "delete from quality.raw_load_verdicts"
            " where entity = $entity and load_id in (select unnest($loads))",
            {"entity": entity, "loads": loads},
        )
        self.con.executemany(
            "insert into quality.raw_load_verdicts values (?, ?, ?, ?, now())",
            [[entity, load, passed, self.run_id] for load in loads],
        )

    def remember_row_counts(self) -> None:
        if not self.row_counts:
            return
        self.con.executemany(
            "insert into quality.gate_row_counts (table_name, run_id, row_count, recorded_at,"
            " as_of_date) values (?, ?, ?, now(), ?)",
            [[table, self.run_id, rows, self.as_of] for table, rows in self.row_counts.items()],
        )


def _is_table_level(expectation) -> bool:
    return expectation.expectation_type.startswith("expect_table_")


Validations = Callable[[GateRun], list[ValidationSummary]]


def _use_the_system_allocator_for_frames() -> None:
    """pandas keeps strings in Arrow buffers; Arrow's default pool (mimalloc) keeps the memory
    of freed frames reserved (about 1.5 GB after the gates of a 20-million-event load, measured
    at 1,000,000 leads), the system allocator returns it."""
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def _gate(
    asset: dg.AssetKey, description: str, validations: Validations
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=asset,
        name=GATE_CHECK_NAME,
        blocking=True,
        description=description,
        pool=WAREHOUSE_POOL,
    )
    def gate(
        context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource, quality: QualityArea
    ) -> dg.AssetCheckResult:
        try:
            settings = load_gate_settings(Path(quality.gates_file))
        except GateSettingsError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        try:
            prune_results(
                quality.root, datetime.now(UTC) - timedelta(days=settings.data_docs_days_kept)
            )
        except Exception as error:  # housekeeping: it must not stop publishing
            context.log.warning(f"could not delete old Great Expectations results: {error!r}")
        with warehouse.get_connection() as con:
            con.execute(ROW_COUNTS_DDL + LOAD_VERDICTS_DDL)
            run = GateRun(con, context.run.run_id, settings, quality, as_of_date(context))
            _use_the_system_allocator_for_frames()
            summaries = validations(run)
            if summaries:
                update_data_docs_index(quality.root, summaries[-1])
            return_freed_memory()
            passed = all(summary.success for summary in summaries)
            if passed:
                run.remember_row_counts()
            run.remember_load_verdicts(passed)
        return _result(summaries, run.row_counts, quality, run.judged_loads)

    return gate


def _result(
    summaries: list[ValidationSummary],
    row_counts: dict[str, int],
    quality: QualityArea,
    judged_loads: tuple[str, list[str]] | None,
) -> dg.AssetCheckResult:
    failures = [
        {"suite": summary.suite, **failure} for summary in summaries for failure in summary.failures
    ]
    return dg.AssetCheckResult(
        passed=all(summary.success for summary in summaries),
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if summaries else "Nothing to validate in this run.",
        metadata={
            "suites": ", ".join(summary.suite for summary in summaries),
            "rows_validated": sum(summary.rows for summary in summaries),
            "expectations_evaluated": sum(summary.evaluated for summary in summaries),
            "expectations_failed": sum(summary.failed for summary in summaries),
            "failing_examples": dg.MetadataValue.json(failures),
            "row_counts": dg.MetadataValue.json(row_counts),
            "loads_judged": dg.MetadataValue.json(judged_loads[1] if judged_loads else []),
            "data_docs": dg.MetadataValue.path(str(data_docs_index(quality.root))),
        },
    )


# -- raw: what this run loaded -------------------------------------------------------------------


def raw_suite(entity: Entity, settings: GateSettings):
    """The raw suite of an entity, from its landing contract."""
    return raw.build_suite(
        entity.name,
        required=[c.name for c in entity.columns if c.required],
        accepted_values={
            c.name: list(c.accepted_values) for c in entity.columns if c.accepted_values
        },
        non_negative=[c.name for c in entity.columns if c.non_negative],
        # A versioned entity may bring a new version of a record in another file of the same load.
        unique_key=() if entity.versioned else entity.key,
        min_valid_email_share=settings.min_valid_email_share,
    )


def _raw_validations(entity: Entity) -> Validations:
    def validations(run: GateRun) -> list[ValidationSummary]:
        suite = raw_suite(entity, run.settings)
        # Only the columns the suite reads: a first load can hold the whole event history.
        columns = dict.fromkeys([*entity.key, *suite_columns(suite)])
        rows_sql = (
            f"select {', '.join(quote(c) for c in columns)} from {entity.table} "
            "where _load_id in (select unnest($load_ids))"
        )
        loads = run.loads_to_judge(entity.name)
        rows = run.row_count(rows_sql, load_ids=loads)
        rejects = run.frame(
            load_rejects.frame_sql(entity.rejects_table), entity=entity.name, load_ids=loads
        )
        # No file of the entity and no waiting row readmitted: Great Expectations would judge
        # empty frames (about 0.5 s a gate).
        if rows == 0 and rejects.empty:
            return []
        return [
            run.validate_query(suite, rows_sql, list(entity.key), rows, load_ids=loads),
            run.validate(
                load_rejects.build_suite(run.settings.max_reject_share), rejects, key=["entity"]
            ),
        ]

    return validations


def _raw_gates() -> list[dg.AssetChecksDefinition]:
    return [
        _gate(
            dg.AssetKey(["raw", entity.name]),
            f"Great Expectations suites raw_{entity.name} (the rows this run loaded) and "
            "load_rejects (the share of rows it rejected, at most max_reject_share).",
            _raw_validations(entity),
        )
        for entity in ENTITIES.values()
    ]


# -- staging -------------------------------------------------------------------------------------


def _staged_leads(run: GateRun) -> list[ValidationSummary]:
    suite = staged_leads.build_suite(run.settings.min_valid_email_share)
    return [run.validate_query(suite, staged_leads.FRAME_SQL, staged_leads.KEY)]


def _staged_events(run: GateRun) -> list[ValidationSummary]:
    counts = run.frame(staged_events.FRAME_SQL, load_id=run.run_id, as_of_end=run.as_of_end)
    return [
        run.validate(staged_events.build_suite(), counts),
        run.validate(staged_events.build_freshness_suite(run.settings.max_event_age_hours), counts),
    ]


# -- marts ---------------------------------------------------------------------------------------


def _leads_mart(run: GateRun) -> list[ValidationSummary]:
    rows = run.row_count(leads_mart.FRAME_SQL)
    suite = leads_mart.build_suite(load_scoring_config().score_bounds())
    return [
        run.validate_query(suite, leads_mart.FRAME_SQL, leads_mart.KEY, rows),
        *run.validate_row_count("leads_mart_row_count", rows, run.allowed_rows("leads", rows)),
    ]


def _score_snapshots(run: GateRun) -> list[ValidationSummary]:
    suite = score_snapshots.build_suite(load_scoring_config().score_bounds())
    rows = run.row_count(score_snapshots.FRAME_SQL, as_of_date=run.as_of)
    return [
        run.validate_query(
            suite, score_snapshots.FRAME_SQL, score_snapshots.KEY, rows, as_of_date=run.as_of
        ),
        *run.validate_row_count("score_snapshots_row_count", rows, score_snapshots.ALLOWED_ROWS),
    ]


def _stage_history(run: GateRun) -> list[ValidationSummary]:
    return [
        run.validate_query(stage_history.build_suite(), stage_history.FRAME_SQL, stage_history.KEY)
    ]


def _publish_list(run: GateRun) -> list[ValidationSummary]:
    frame = run.frame(publish_list.FRAME_SQL, as_of_end=run.as_of_end)
    suite = publish_list.build_suite(load_scoring_config().score_bounds())
    rows = len(frame)
    return [
        run.validate(suite, frame, key=publish_list.KEY),
        *run.validate_row_count(
            "publish_list_row_count", rows, run.allowed_rows("sql_publish_list", rows)
        ),
    ]


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    return [
        *_raw_gates(),
        _gate(
            dg.AssetKey(["staging", "stg_landing__leads"]),
            "Great Expectations suite staged_leads: unique lead ids, well-formed e-mails.",
            _staged_leads,
        ),
        _gate(
            dg.AssetKey(["staging", "stg_landing__events"]),
            "Great Expectations suites staged_events (staging kept each event this run loaded, "
            "once) and event_freshness (the newest event at most max_event_age_hours before the "
            "end of the as-of day).",
            _staged_events,
        ),
        _gate(
            dg.AssetKey(["marts", "leads"]),
            "Great Expectations suite leads_mart: one row per lead, known stages and grades, "
            "scores within the rules' bounds, row count against the last good run.",
            _leads_mart,
        ),
        _gate(
            dg.AssetKey(["marts", "lead_score_snapshots"]),
            "Great Expectations suite score_snapshots on the as-of day's scores.",
            _score_snapshots,
        ),
        _gate(
            dg.AssetKey(["marts", "lead_stage_history"]),
            "Great Expectations suite stage_history on every lead's current stage.",
            _stage_history,
        ),
        _gate(
            dg.AssetKey(["marts", "sql_publish_list"]),
            "Great Expectations suite publish_list: only contactable current SQLs, each with an "
            "owner or territory, row count against the last good run.",
            _publish_list,
        ),
    ]
