"""The current stage of every lead (marts.lead_stage_history where is_current)."""

import great_expectations as gx
import great_expectations.expectations as gxe

from data_quality.expectations import STAGES

FRAME_SQL = """
    select lead_id, lifecycle_stage, entered_at
    from marts.lead_stage_history
    where is_current
"""
KEY = ["lead_id"]


def build_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="stage_history",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="lifecycle_stage"),
            gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=list(STAGES)),
            gxe.ExpectColumnValuesToNotBeNull(column="entered_at"),
        ],
    )
