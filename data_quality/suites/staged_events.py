"""Events: the rows this run loaded (never the whole history in one frame), and the freshness of
the feed as one aggregate over all of it."""

import great_expectations as gx
import great_expectations.expectations as gxe

FRAME_SQL = """
    select event_id, lead_id, event_type, occurred_at
    from staging.stg_landing__events
    where load_id = $load_id
"""
KEY = ["event_id"]

# Null when there are no events at all: a deployment without an event feed is not stale.
FRESHNESS_SQL = """
    select
        max(occurred_at) as newest_event_at,
        date_diff('minute', max(occurred_at), $as_of_end) / 60.0 as newest_event_age_hours
    from staging.stg_landing__events
"""


def build_suite(event_types: list[str]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="staged_events",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="event_id"),
            gxe.ExpectColumnValuesToBeUnique(column="event_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="occurred_at"),
            gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=event_types),
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
