"""The dbt models as Dagster assets (dbt tests become asset checks), and the scoring rules they
read: validated before dbt starts, passed to dbt as the var ``scoring``."""

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_duckdb import DuckDBResource
from pydantic import Field

from orchestration.ingest.assets import ERASED_LEADS_KEY
from orchestration.resources import (
    WAREHOUSE_POOL,
    as_of_date_for_dbt,
    load_settings,
    return_freed_memory,
)
from orchestration.review.settings import ReviewSettings, load_review_settings
from orchestration.scoring.page import render_definitions_page
from orchestration.scoring.rules import (
    ScoringConfig,
    ScoringRulesError,
    load_scoring_config,
    rules_path,
)
from orchestration.transform.project import dbt_project, prune_dbt_invocations

SCORING_RULES_KEY = dg.AssetKey(["config", "scoring_rules"])
DEFINITIONS_PAGE_NAME = "scoring_definitions.md"
FAILING_ROWS = 5
# Models that call these macros read the scoring rules.
SCORING_MACROS = {
    "macro.lead_qualification.scoring_config",
    "macro.lead_qualification.fit_grade",
}


class LeadQualificationTranslator(DagsterDbtTranslator):
    """Keys and groups that show the layers: raw/<table>, staging/..., intermediate/..., marts/...

    Sources map onto the ingest assets' keys, so lineage runs from the landing files to the marts;
    models that read the scoring rules depend on the scoring_rules asset.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest.get("nodes", {}).get(unique_id, {})
        if SCORING_MACROS & set(node.get("depends_on", {}).get("macros", [])):
            spec = spec.merge_attributes(deps=[SCORING_RULES_KEY])
        if node.get("resource_type") == "model" and node.get("fqn", [None, None])[1] == "staging":
            # Staging reads raw only after the erasure requests were applied to it.
            spec = spec.merge_attributes(deps=[ERASED_LEADS_KEY])
        return spec

    @staticmethod
    def _layer(dbt_resource_props: Mapping[str, Any]) -> str:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        # fqn is [project, folder, ...]: staging, intermediate or marts.
        return dbt_resource_props["fqn"][1]


def dbt_vars(scoring: ScoringConfig | None = None, review: ReviewSettings | None = None) -> dict:
    """What every dbt run gets as ``--vars``: the validated scoring rules and the model review
    settings. The same everywhere, so that dbt can reuse its parsed project between runs."""
    scoring = scoring or load_scoring_config()
    review = review or load_review_settings()
    return {**scoring.to_dbt_vars(), "review": review.to_dbt_var()}


def scoring_vars() -> str:
    """``dbt_vars()`` as the JSON for ``dbt --vars``."""
    return json.dumps(dbt_vars())


@dg.asset(
    key=SCORING_RULES_KEY,
    group_name="config",
    kinds={"yaml"},
    description="scoring/rules.yml, validated (sqlglot allow-list), and the shared-definitions "
    "page sales and marketing read, written next to the warehouse.",
)
def scoring_rules(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    path = rules_path()
    try:
        config = load_scoring_config(path)
    except ScoringRulesError as error:
        # Fails the run here, before any dbt model builds.
        raise dg.Failure(description=str(error), allow_retries=False) from None
    page = render_definitions_page(config)
    page_path = Path(load_settings().warehouse_path).parent / DEFINITIONS_PAGE_NAME
    page_path.parent.mkdir(parents=True, exist_ok=True)
    page_path.write_text(page, encoding="utf-8")
    context.log.info(f"Scoring definitions written to {page_path}")
    thresholds = config.thresholds.to_dict()
    return dg.MaterializeResult(
        metadata={
            "rules_file": str(path),
            "rules": len(config.rules),
            "thresholds": dg.MetadataValue.json(thresholds),
            "definitions_page": dg.MetadataValue.path(str(page_path)),
            "definitions": dg.MetadataValue.md(page),
        }
    )


class DbtBuildConfig(dg.Config):
    """How the daily job runs ``dbt build``."""

    full_refresh: bool = Field(
        default=False,
        description="Rebuild every incremental model (the score history and stage history "
        "included) instead of adding the new day: after a scoring-rule change whose past days "
        "should be rescored, or to run for a day before the warehouse's latest.",
    )


@cache
def build_dbt_assets() -> dg.AssetsDefinition:
    """Read the manifest only when definitions load, never at import."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=LeadQualificationTranslator(),
        name="dbt_build",
        pool=WAREHOUSE_POOL,
        # The model review's models run in review/model_review, with the configurations it
        # compares, not in the daily build.
        exclude="tag:review",
    )
    def dbt_build(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: DuckDBResource,
        config: DbtBuildConfig,
    ):
        # dbt and this process share the machine's memory while dbt runs.
        return_freed_memory()
        prune_dbt_invocations()
        args = ["build", "--vars", scoring_vars()]
        if config.full_refresh:
            args.append("--full-refresh")
        failed_tests = []
        with as_of_date_for_dbt(context):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            for event in invocation.stream():
                if isinstance(event, dg.AssetCheckResult) and not event.passed:
                    # dbt holds the warehouse until it exits: add examples after that.
                    failed_tests.append(event)
                else:
                    yield event
        if failed_tests:
            yield from with_failing_rows(failed_tests, invocation, warehouse)
        if not invocation.is_successful():
            raise invocation.get_error()

    return dbt_build


def with_failing_rows(
    results: list[dg.AssetCheckResult], invocation: DbtCliInvocation, warehouse: DuckDBResource
):
    """Failed dbt tests, each with a few of the rows it found (kept by dbt as a view through
    ``store_failures``) under ``failing_examples``, the way the quality gates report theirs."""
    nodes = invocation.get_artifact("manifest.json")["nodes"]
    with warehouse.get_connection() as con:
        for result in results:
            test = nodes.get(str(result.metadata["unique_id"].value), {})
            relation = test.get("relation_name")
            examples: list[str] = []
            if relation:
                try:
                    rows = con.execute(f"select * from {relation} limit {FAILING_ROWS}")
                    names = [column[0] for column in rows.description]
                    examples = [
                        ", ".join(f"{n}={v}" for n, v in zip(names, row, strict=True))
                        for row in rows.fetchall()
                    ]
                except duckdb.Error as error:
                    examples = [f"(failing rows unreadable: {error})"]
            failure = {
                "expectation": "dbt "
                + (test.get("test_metadata") or {}).get("name", "singular test"),
                "column": test.get("column_name"),
                "unexpected_count": _failed_row_count(result),
                "examples": examples,
                "failing_rows": relation,
            }
            yield dg.AssetCheckResult(
                passed=result.passed,
                asset_key=result.asset_key,
                check_name=result.check_name,
                severity=result.severity,
                description=result.description,
                metadata={
                    **result.metadata,
                    "failing_examples": dg.MetadataValue.json([failure]),
                },
            )


def _failed_row_count(result: dg.AssetCheckResult) -> int | None:
    count = result.metadata.get("dagster_dbt/failed_row_count")
    return None if count is None else int(count.value)
