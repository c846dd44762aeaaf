"""Blocking asset checks that run the data_quality suites. A failed check stops every asset
downstream of it in the run, publishing included, and names its failing examples."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from data_quality.suites import leads_mart, raw_leads
from data_quality.validate import ValidationSummary, validate


def _result(summary: ValidationSummary) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=summary.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "suite": summary.suite,
            "rows_validated": summary.rows,
            "expectations_evaluated": summary.evaluated,
            "expectations_failed": summary.failed,
            "failing_examples": dg.MetadataValue.json(summary.failures),
        },
    )


@dg.asset_check(
    asset=dg.AssetKey(["raw", "leads"]),
    blocking=True,
    description="Great Expectations suite raw_leads on the rows this run loaded.",
)
def raw_leads_suite(
    context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource
) -> dg.AssetCheckResult:
    columns = ", ".join(raw_leads.COLUMNS)
    with warehouse.get_connection() as con:
        frame = con.execute(
            f"select {columns} from raw.leads where _load_id = ?", [context.run.run_id]
        ).df()
    return _result(validate(raw_leads.build_suite(), frame))


@dg.asset_check(
    asset=dg.AssetKey(["marts", "leads"]),
    blocking=True,
    description="Great Expectations suite leads_mart on the columns it checks.",
)
def leads_mart_suite(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    columns = ", ".join(leads_mart.COLUMNS)
    with warehouse.get_connection() as con:
        frame = con.execute(f"select {columns} from marts.leads").df()
    return _result(validate(leads_mart.build_suite(), frame))


QUALITY_CHECKS = [raw_leads_suite, leads_mart_suite]
