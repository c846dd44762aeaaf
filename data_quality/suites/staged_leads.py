"""The current version of every lead (staging.stg_landing__leads), the columns checked only."""

import great_expectations as gx
import great_expectations.expectations as gxe

from data_quality.expectations import COUNTRY_CODE_PATTERN, valid_emails

FRAME_SQL = "select lead_id, created_at, email, country_code from staging.stg_landing__leads"
KEY = ["lead_id"]


def build_suite(min_valid_email_share: float) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="staged_leads",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="created_at"),
            valid_emails(min_valid_email_share),
            gxe.ExpectColumnValuesToMatchRegex(
                column="country_code", regex=COUNTRY_CODE_PATTERN, mostly=0.99
            ),
        ],
    )
