"""Run an ExpectationSuite on a pandas frame and summarise the outcome.

GE 1.x validates DuckDB tables only through its SQL datasource, which cannot read DuckDB here, so
callers pass a frame of bounded size: the rows of one load, or only the columns a suite needs.

With ``quality_dir`` the validation goes through a file-backed Great Expectations project in
``<quality_dir>/great_expectations``, which keeps every result, and renders it into the Data Docs
site ``<quality_dir>/data_docs/index.html``: one page per suite and run, failures first.
``prune_results`` bounds what the project keeps (see there). The site's index lists every kept
result and costs more the more there are (0.2 s at 300 results, a page 0.1 s): a caller that
validates several suites in a row passes ``update_index=False`` and calls
``update_data_docs_index`` once after the last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.execution_engine import pandas_execution_engine

# GE fingerprints every frame under this many bytes (an md5 over a hash of every row: 0.45 s a
# million events) only to label the batch in its result; our results name the run and the suite.
pandas_execution_engine.HASH_THRESHOLD = 0

FAILING_EXAMPLES = 10
DATASOURCE = "frames"
BATCH = "whole_frame"
SITE = "local_site"


@dataclass
class ValidationSummary:
    suite: str
    success: bool
    evaluated: int
    failed: int
    rows: int
    failures: list[dict] = field(default_factory=list)
    data_docs: str | None = None
    # The kept result of a documented validation (GE's ValidationResultIdentifier).
    result_id: Any = None


def suite_columns(suite: gx.ExpectationSuite) -> list[str]:
    """The columns a suite's expectations read, so a caller can load only those."""
    columns: list[str] = []
    for expectation in suite.expectations:
        config = expectation.configuration.kwargs
        names = [config.get("column"), config.get("column_A"), config.get("column_B")]
        names += config.get("column_list") or []
        condition = getattr(expectation, "row_condition", None)
        names += [getattr(getattr(condition, "column", None), "name", None)]
        columns += [name for name in names if name and name not in columns]
    return columns


def data_docs_index(quality_dir: Path) -> Path:
    return Path(quality_dir) / "data_docs" / "index.html"


def _project_dir(quality_dir: Path) -> Path:
    """The file-backed Great Expectations project that keeps the results."""
    return Path(quality_dir) / "great_expectations"


def validate(
    suite: gx.ExpectationSuite,
    frame: pd.DataFrame,
    *,
    key_columns: Sequence[str] = (),
    quality_dir: Path | None = None,
    run_name: str | None = None,
    update_index: bool = True,
) -> ValidationSummary:
    """Validate ``frame``; failing examples name the rows by ``key_columns`` when given."""
    frame = _with_wide_numbers(frame)
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": FAILING_EXAMPLES}
    if key_columns:
        result_format["unexpected_index_column_names"] = list(key_columns)
    result_id = None
    if quality_dir is None:
        result = _ephemeral_run(suite, frame, result_format)
    else:
        result_id, result = _documented_run(
            suite, frame, result_format, Path(quality_dir), run_name, update_index
        )
    return ValidationSummary(
        suite=suite.name,
        success=bool(result.success),
        evaluated=result.statistics["evaluated_expectations"],
        failed=result.statistics["unsuccessful_expectations"],
        rows=len(frame),
        failures=[
            _failure(outcome, key_columns) for outcome in result.results if not outcome.success
        ],
        data_docs=str(data_docs_index(quality_dir)) if quality_dir is not None else None,
        result_id=result_id,
    )


def _with_wide_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its narrower numeric columns as int64 or float64: GE 1.x checks a
    between-expectation value by value in Python unless the column has one of those two types
    (DuckDB's INTEGER arrives as int32; the 7 score columns of a million leads take 2.4 s that
    way, 0.9 s as int64). A column with nulls arrives as a nullable type (Int32) and stays on
    that slow path."""
    widened = {
        name: np.float64 if dtype.kind == "f" else np.int64
        for name, dtype in frame.dtypes.items()
        if isinstance(dtype, np.dtype) and dtype.kind in "iuf" and dtype.itemsize < 8
    }
    return frame.astype(widened) if widened else frame


def update_data_docs_index(quality_dir: Path, last: ValidationSummary) -> None:
    """Render the Data Docs index after validations run with ``update_index=False``; ``last``
    is the latest of them (its page is rendered again with the index)."""
    if last.result_id is None:
        return
    context = gx.get_context(mode="file", project_root_dir=str(_project_dir(quality_dir)))
    context.build_data_docs(site_names=[SITE], resource_identifiers=[last.result_id])


def merge_summaries(summaries: Sequence[ValidationSummary]) -> ValidationSummary:
    """One summary for a suite validated slice by slice (disjoint rows of one table): a failing
    expectation's unexpected rows add up, its examples are the first slices'."""
    failures: dict[tuple, dict] = {}
    for summary in summaries:
        for failure in summary.failures:
            name = (failure["expectation"], failure["column"], failure["expected"])
            merged = failures.setdefault(name, {**failure, "unexpected_count": 0, "examples": []})
            merged["unexpected_count"] += failure["unexpected_count"] or 0
            merged["examples"] = (merged["examples"] + failure["examples"])[:FAILING_EXAMPLES]
    rows = sum(summary.rows for summary in summaries)
    for failure in failures.values():
        failure["unexpected_percent"] = 100 * failure["unexpected_count"] / rows if rows else None
    return ValidationSummary(
        suite=summaries[0].suite,
        success=all(summary.success for summary in summaries),
        evaluated=max(summary.evaluated for summary in summaries),
        failed=len(failures),
        rows=rows,
        failures=list(failures.values()),
        data_docs=summaries[-1].data_docs,
        result_id=summaries[-1].result_id,
    )


def prune_results(quality_dir: Path, before: datetime) -> int:
    """Delete the results of validations that ran before ``before`` (aware, UTC) from the
    project's store; the next Data Docs build drops their pages. Returns how many.

    Without it the store grows by every run, and every documented validation rebuilds the Data
    Docs index, which reads every stored result: 0.25 s a validation on a new project, 0.45 s
    after 300 results (about 0.7 ms more per result), so a year of daily runs (some 8,000
    results) would add minutes to every run. Failing examples can also hold personal data (an
    invalid e-mail address), which should not outlive a retention period.
    """
    project = _project_dir(quality_dir)
    if not project.is_dir():
        return 0
    context = gx.get_context(mode="file", project_root_dir=str(project))
    store = context.validation_results_store
    expired = [key for key in store.list_keys() if key.run_id.run_time < before]
    for key in expired:
        store.remove_key(key)
    # GE removes files, not the run folders around them (those of the Data Docs pages go on
    # the next build, so they are emptied here on the next prune).
    for results in (project / "gx" / "uncommitted", data_docs_index(quality_dir).parent):
        for folder in sorted(results.glob("validations/**/"), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return len(expired)


def _validation_definition(context, suite: gx.ExpectationSuite) -> gx.ValidationDefinition:
    """The suite bound to a whole-frame batch; a file-backed project keeps them between runs."""
    # Kept, not replaced: replacing it would drop the other suites' assets, and with them the
    # project's other checkpoints.
    try:
        source = context.data_sources.get(DATASOURCE)
    except KeyError:
        source = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = source.get_asset(suite.name)
    except LookupError:
        asset = source.add_dataframe_asset(suite.name)
    try:
        batch = asset.get_batch_definition(BATCH)
    except KeyError:
        batch = asset.add_batch_definition_whole_dataframe(BATCH)
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=suite.name, data=batch, suite=context.suites.add_or_update(suite)
        )
    )


def _ephemeral_run(suite, frame, result_format):
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    definition = _validation_definition(context, suite)
    return definition.run(batch_parameters={"dataframe": frame}, result_format=result_format)


def _documented_run(
    suite, frame, result_format, quality_dir: Path, run_name: str | None, update_index: bool
):
    """Validate through a checkpoint, which keeps the result, and render its Data Docs page."""
    context = gx.get_context(mode="file", project_root_dir=str(_project_dir(quality_dir)))
    context.variables.progress_bars = {"globally": False}
    site_dir = str(data_docs_index(quality_dir).parent)
    site = context.variables.data_docs_sites[SITE]
    if site["store_backend"]["base_directory"] != site_dir:
        site["store_backend"]["base_directory"] = site_dir
        site["show_how_to_buttons"] = False
        context.update_data_docs_site(SITE, site)
    definition = _validation_definition(context, suite)
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=suite.name,
            validation_definitions=[definition],
            actions=[],
            result_format=result_format,
        )
    )
    outcome = checkpoint.run(
        batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=run_name)
    )
    result_id, result = next(iter(outcome.run_results.items()))
    context.build_data_docs(
        site_names=[SITE], resource_identifiers=[result_id], build_index=update_index
    )
    return result_id, result


def _failure(outcome, key_columns: Sequence[str]) -> dict:
    config = outcome.expectation_config
    result = outcome.result
    column = config.kwargs.get("column")
    pair = [config.kwargs[name] for name in ("column_A", "column_B") if config.kwargs.get(name)]
    if key_columns and result.get("partial_unexpected_index_list"):
        examples = [
            _row_example(row, key_columns, column)
            for row in result["partial_unexpected_index_list"]
        ]
    else:
        examples = [_example(value) for value in result.get("partial_unexpected_list", [])]
    observed = result.get("observed_value")
    return {
        "expectation": config.type,
        "column": column or ", ".join(pair) or None,
        "unexpected_count": result.get("unexpected_count"),
        "unexpected_percent": result.get("unexpected_percent"),
        "examples": examples[:FAILING_EXAMPLES],
        "observed_value": None if observed is None else str(observed),
        "expected": _expected(config.kwargs),
    }


def _row_example(row: dict, key_columns: Sequence[str], column: str | None) -> str:
    key = ", ".join(str(row.get(name)) for name in key_columns)
    values = [f"{name}={_text(row[name])}" for name in row if name not in key_columns]
    return f"{key}: {', '.join(values)}" if values and column not in key_columns else key


def _example(value) -> str:
    """A value, or a pair's values as "(a, b)" (GE reports a pair as a tuple of numpy values)."""
    if isinstance(value, tuple | list):
        return f"({', '.join(_text(part) for part in value)})"
    return str(value)


def _text(value) -> str:
    return (
        "null" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    )


def _expected(kwargs: dict) -> str | None:
    """The bound or set an expectation wanted, for messages ("between 0 and 100")."""
    parts = []
    for name in ("min_value", "max_value", "value_set", "regex", "mostly"):
        if kwargs.get(name) is not None:
            parts.append(f"{name}={kwargs[name]}")
    return ", ".join(parts) or None
