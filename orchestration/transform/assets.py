"""The dbt models as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.transform.project import dbt_project


class LeadQualificationTranslator(DagsterDbtTranslator):
    """Keys and groups that show the layers: raw/<table>, staging/..., intermediate/..., marts/...

    Sources map onto the ingest assets' keys, so lineage runs from the landing files to the marts.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["name"]])
        return dg.AssetKey([self._layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._layer(dbt_resource_props)

    @staticmethod
    def _layer(dbt_resource_props: Mapping[str, Any]) -> str:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        # fqn is [project, folder, ...]: staging, intermediate or marts.
        return dbt_resource_props["fqn"][1]


@cache
def build_dbt_assets() -> dg.AssetsDefinition:
    """Read the manifest only when definitions load, never at import."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=LeadQualificationTranslator(),
        name="dbt_build",
    )
    def dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    return dbt_build
