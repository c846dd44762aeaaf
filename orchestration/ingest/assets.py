"""One Dagster asset per landing entity: new files -> raw.<entity> and raw.<entity>_rejects."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.ingest.contract import ENTITIES, Entity
from orchestration.ingest.erasure import apply_erasure_requests
from orchestration.ingest.loader import ingest_entity
from orchestration.resources import WAREHOUSE_POOL, LandingZone


def landing_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["landing", entity.name])


def raw_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.name])


def build_landing_specs() -> list[dg.AssetSpec]:
    """The landing folders, as external assets, so lineage starts at the files."""
    return [
        dg.AssetSpec(
            key=landing_asset_key(entity),
            group_name="landing",
            description=f"Files in <landing>/{entity.name}/ (CSV, Parquet or JSON Lines)"
            + ("" if entity.required else "; optional"),
            kinds={"file"},
        )
        for entity in ENTITIES.values()
    ]


def build_ingest_assets() -> list[dg.AssetsDefinition]:
    return [*(_build_ingest_asset(entity) for entity in ENTITIES.values()), erased_leads]


def _build_ingest_asset(entity: Entity) -> dg.AssetsDefinition:
    deps = [landing_asset_key(entity)]
    if entity.needs_known_lead:
        # Rows are checked against the leads loaded before them.
        deps.append(raw_asset_key(ENTITIES["leads"]))

    @dg.asset(
        key=raw_asset_key(entity),
        group_name="ingest",
        deps=deps,
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        description=(
            f"New {entity.name} files loaded into {entity.table}; rows that break the landing "
            f"contract are quarantined in {entity.rejects_table} with their reason."
        ),
    )
    def ingest(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource, landing: LandingZone
    ) -> dg.MaterializeResult:
        folder = landing.root / entity.name
        if entity.required and not folder.is_dir():
            raise dg.Failure(
                description=f"The landing folder {landing.root} has no {entity.name}/ folder; "
                f"{entity.name} is the one entity every deployment must provide.",
                allow_retries=False,
            )
        Path(warehouse.database).parent.mkdir(parents=True, exist_ok=True)
        with warehouse.get_connection() as con:
            result = ingest_entity(con, entity, landing.root, load_id=context.run.run_id)
        for file, error in result.files_unreadable.items():
            context.log.warning(f"Could not read {file}: {error}")
        if result.files_ignored:
            context.log.warning(f"Ignored files of unknown type: {result.files_ignored}")
        if result.rows_rejected:
            context.log.info(f"{result.rows_rejected} rows quarantined: {result.reject_reasons}")
        return dg.MaterializeResult(
            metadata={
                "files_loaded": len(result.files_loaded),
                "files_unreadable": dg.MetadataValue.json(result.files_unreadable),
                "files_ignored": dg.MetadataValue.json(result.files_ignored),
                "files_unchanged": dg.MetadataValue.json(result.files_unchanged),
                "rows_read": result.rows_read,
                "rows_accepted": result.rows_accepted,
                "rows_rejected": result.rows_rejected,
                "rows_readmitted": result.rows_readmitted,
                "reject_reasons": dg.MetadataValue.json(result.reject_reasons),
                "total_rows_accepted": result.total_accepted,
                "total_rows_rejected": result.total_rejected,
                "dagster/row_count": result.total_accepted,
            }
        )

    return ingest


ERASED_LEADS_KEY = dg.AssetKey(["raw", "erased_leads"])


@dg.asset(
    key=ERASED_LEADS_KEY,
    group_name="ingest",
    deps=[raw_asset_key(entity) for entity in ENTITIES.values()],
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description="Erasure requests applied: the personal data of every lead that asked for "
    "erasure removed from the raw tables, the quarantine, the sync ledger and the notification "
    "log, before dbt rebuilds the other layers from raw.",
)
def erased_leads(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        outcome = apply_erasure_requests(con)
        total = con.execute("select count(*) from raw.erased_leads").fetchone()[0]
    if outcome["newly_erased"]:
        context.log.info(f"Erased the personal data of {outcome['newly_erased']}")
    return dg.MaterializeResult(
        metadata={
            "newly_erased": len(outcome["newly_erased"]),
            "rows_redacted": dg.MetadataValue.json(outcome["rows_redacted"]),
            "dagster/row_count": total,
        }
    )
