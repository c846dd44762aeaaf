"""Run an ExpectationSuite on a pandas frame and summarise the outcome.

GE 1.x validates DuckDB tables only through its SQL datasource, which cannot read DuckDB here, so
callers pass a frame of bounded size: the rows of one load, or only the columns a suite needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import great_expectations as gx
import pandas as pd

FAILING_EXAMPLES = 10


@dataclass
class ValidationSummary:
    suite: str
    success: bool
    evaluated: int
    failed: int
    rows: int
    failures: list[dict] = field(default_factory=list)


def validate(suite: gx.ExpectationSuite, frame: pd.DataFrame) -> ValidationSummary:
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    asset = context.data_sources.add_pandas("frames").add_dataframe_asset(suite.name)
    batch = asset.add_batch_definition_whole_dataframe("whole_frame")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=context.suites.add(suite))
    )
    result = definition.run(
        batch_parameters={"dataframe": frame}, result_format={"result_format": "SUMMARY"}
    )
    failures = [
        {
            "expectation": outcome.expectation_config.type,
            "column": outcome.expectation_config.kwargs.get("column"),
            "unexpected_count": outcome.result.get("unexpected_count"),
            "unexpected_percent": outcome.result.get("unexpected_percent"),
            "examples": [str(value) for value in outcome.result.get("partial_unexpected_list", [])][
                :FAILING_EXAMPLES
            ],
            "observed_value": str(outcome.result.get("observed_value", "")) or None,
        }
        for outcome in result.results
        if not outcome.success
    ]
    return ValidationSummary(
        suite=suite.name,
        success=bool(result.success),
        evaluated=result.statistics["evaluated_expectations"],
        failed=result.statistics["unsuccessful_expectations"],
        rows=len(frame),
        failures=failures,
    )
