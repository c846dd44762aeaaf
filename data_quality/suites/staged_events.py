"""Events as staging serves them, checked where staging can go wrong.

The event rows themselves are checked once, where they land: raw_events validates every row a
run loaded (missing values, unknown types, duplicate ids) and dbt's tests hold the whole staged
table to one row per event_id. A second row-by-row pass over the same rows here cost as much as
the first (40 s for a first load of 20 million events). What staging adds is a model that an
edit can break, so this suite compares the run's staged rows with the rows it loaded, as one
aggregate: none dropped (a filter), none repeated (a join). Plus the freshness of the feed."""

import great_expectations as gx
import great_expectations.expectations as gxe

# The run's rows are counted apart from the newest event, so that the count(distinct) reads
# only the run's rows (as one aggregate with a filter it grouped every staged event id). The
# newest event is null when there are no events at all: a deployment without an event feed is
# not stale.
FRAME_SQL = """
    select
        (select count(*) from raw.events where _load_id = $load_id) as loaded_rows,
        run_rows.staged_rows,
        run_rows.staged_event_ids,
        newest.newest_event_at,
        date_diff('minute', newest.newest_event_at, $as_of_end) / 60.0 as newest_event_age_hours
    from
        (
            select count(*) as staged_rows, count(distinct event_id) as staged_event_ids
            from staging.stg_landing__events
            where load_id = $load_id
        ) as run_rows,
        (select max(occurred_at) as newest_event_at from staging.stg_landing__events) as newest
"""


def build_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="staged_events",
        expectations=[
            gxe.ExpectColumnPairValuesToBeEqual(column_A="staged_rows", column_B="loaded_rows"),
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="staged_event_ids", column_B="staged_rows"
            ),
        ],
    )


def build_freshness_suite(max_event_age_hours: float) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="event_freshness",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="newest_event_age_hours", max_value=max_event_age_hours
            )
        ],
    )
