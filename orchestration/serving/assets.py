"""The BI release: after the marts are built, export them and the report, then swap them in."""

from collections.abc import Iterable, Sequence
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.ingest.erasure import ERASED_DDL
from orchestration.resources import WAREHOUSE_POOL, ServingArea
from orchestration.serving.release import REPORT_NAME, current_release, publish_release

BI_RELEASE_KEY = dg.AssetKey(["serving", "bi_release"])


def build_bi_release_asset(
    mart_keys: Sequence[dg.AssetKey],
    gated_keys: Iterable[dg.AssetKey] = (),
    by_day_keys: Iterable[dg.AssetKey] = (),
) -> dg.AssetsDefinition:
    """``gated_keys``: assets whose quality gates must pass before anything is published;
    ``by_day_keys``: marts with a slice of rows per day, released by day."""
    by_day_marts = frozenset(key.path[-1] for key in by_day_keys)

    @dg.asset(
        key=BI_RELEASE_KEY,
        group_name="serving",
        deps=sorted({*mart_keys, *gated_keys}, key=lambda key: key.to_user_string()),
        kinds={"duckdb", "parquet", "html"},
        pool=WAREHOUSE_POOL,
        description="Every mart as a read-only DuckDB file and one Parquet file each, plus the "
        "funnel report, swapped in atomically as <serving>/current for BI tools.",
    )
    def bi_release(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource, serving: ServingArea
    ) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            con.execute(ERASED_DDL)
            last_erasure = con.execute("select max(erased_at) from raw.erased_leads").fetchone()[0]
        release = publish_release(
            Path(warehouse.database),
            serving.root,
            context.run.run_id,
            marts=[key.path[-1] for key in mart_keys],
            drop_releases_before=last_erasure,
            by_day_marts=by_day_marts,
            memory_limit=warehouse.connection_config.get("memory_limit"),
        )
        current = current_release(serving.root)
        context.log.info(f"BI release {release.path.name} is now {current}")
        return dg.MaterializeResult(
            metadata={
                "release": str(release.path),
                "current": dg.MetadataValue.path(str(current)),
                "report": dg.MetadataValue.path(str(current / REPORT_NAME)),
                "tables": dg.MetadataValue.json(release.tables),
            }
        )

    return bi_release
