"""The leads mart that BI and sales read (marts.leads), the columns checked only."""

import great_expectations as gx
import great_expectations.expectations as gxe

from data_quality.expectations import (
    FIT_GRADES,
    SCORE_COLUMNS,
    STAGES,
    ScoreBounds,
    scores_within,
)

FRAME_SQL = (
    f"select lead_id, lifecycle_stage, fit_grade, {', '.join(SCORE_COLUMNS)} from marts.leads"
)
KEY = ["lead_id"]


def build_suite(score_bounds: ScoreBounds) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="leads_mart",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="lifecycle_stage"),
            gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=list(STAGES)),
            gxe.ExpectColumnValuesToBeInSet(column="fit_grade", value_set=list(FIT_GRADES)),
            *scores_within(score_bounds, SCORE_COLUMNS),
        ],
    )
