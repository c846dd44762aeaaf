"""The share of rows one load rejected for an entity (from the ingest ledger raw._ingested_files):
a few bad rows are quarantined and the run goes on; a mostly broken export stops it."""

import great_expectations as gx
import great_expectations.expectations as gxe

FRAME_SQL = """
    select
        entity,
        count(*) as files,
        coalesce(sum(rows_read), 0) as rows_read,
        coalesce(sum(rows_rejected), 0) as rows_rejected,
        coalesce(sum(rows_rejected), 0) / nullif(sum(rows_read), 0) as reject_share
    from raw._ingested_files
    where entity = $entity and _load_id = $load_id
    group by entity
"""


def build_suite(max_reject_share: float) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="load_rejects",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="reject_share", min_value=0, max_value=max_reject_share
            )
        ],
    )
