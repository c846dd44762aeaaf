"""The share of rows one load rejected for an entity (from the ingest ledger raw._ingested_files):
a few bad rows are quarantined and the run goes on; a mostly broken export, or a file that
cannot be read at all, stops it."""

import great_expectations as gx
import great_expectations.expectations as gxe


def frame_sql(rejects_table: str) -> str:
    """One row for the entity over the loads $load_ids (none when they hold no file): files,
    rows read and rejected, the reject share, and files that could not be read or opened (one
    reject row each, reason unreadable_file)."""
    return f"""
    with

    ledger as (

        select
            count(*) as files,
            coalesce(sum(rows_read), 0) as rows_read,
            coalesce(sum(rows_rejected), 0) as rows_rejected
        from raw._ingested_files
        where entity = $entity and _load_id in (select unnest($load_ids))

    ),

    unreadable as (

        select count(*) as unreadable_files
        from {rejects_table}
        where reason_code = 'unreadable_file' and _load_id in (select unnest($load_ids))

    )

    select
        $entity as entity,
        ledger.files,
        ledger.rows_read,
        ledger.rows_rejected,
        ledger.rows_rejected / nullif(ledger.rows_read, 0) as reject_share,
        unreadable.unreadable_files
    from ledger
    cross join unreadable
    where ledger.files > 0 or unreadable.unreadable_files > 0
"""


def build_suite(max_reject_share: float) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="load_rejects",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="reject_share", min_value=0, max_value=max_reject_share
            ),
            # A file that cannot be read is a whole export missing: its rows are not counted
            # in the share (nobody knows how many there were), so it stops the run by itself.
            gxe.ExpectColumnValuesToBeBetween(column="unreadable_files", min_value=0, max_value=0),
        ],
    )
