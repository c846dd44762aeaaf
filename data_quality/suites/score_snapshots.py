"""Today's partition of the daily score snapshots (marts.lead_score_snapshots)."""

import great_expectations as gx
import great_expectations.expectations as gxe

from data_quality.expectations import FIT_GRADES, SCORE_COLUMNS, ScoreBounds, scores_within

FRAME_SQL = f"""
    select lead_id, fit_grade, {", ".join(SCORE_COLUMNS)}
    from marts.lead_score_snapshots
    where as_of_date = $as_of_date
"""
KEY = ["lead_id"]
# Every scored lead gets a row every day: an empty partition means the day was not built.
ALLOWED_ROWS = (1, None)


def build_suite(score_bounds: ScoreBounds) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="score_snapshots",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
            gxe.ExpectColumnValuesToBeInSet(column="fit_grade", value_set=list(FIT_GRADES)),
            *scores_within(score_bounds, SCORE_COLUMNS),
        ],
    )
