"""The leads mart that BI and sales read (marts.leads)."""

import great_expectations as gx
import great_expectations.expectations as gxe

STAGES = ["lead", "mql", "sql", "opportunity", "won", "lost", "nurture", "recycled", "disqualified"]
COLUMNS = [
    "lead_id",
    "lifecycle_stage",
    "fit_grade",
    "engagement_score",
    "demographic_score",
    "firmographic_score",
    "behavioural_score",
    "timing_score",
]


def build_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="leads_mart",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=STAGES),
            gxe.ExpectColumnValuesToBeInSet(column="fit_grade", value_set=["A", "B", "C", "D"]),
            gxe.ExpectColumnValuesToBeBetween(
                column="engagement_score", min_value=0, max_value=100
            ),
            *[
                gxe.ExpectColumnValuesToBeBetween(column=f"{dimension}_score", min_value=0)
                for dimension in ("behavioural", "timing", "firmographic")
            ],
        ],
    )
