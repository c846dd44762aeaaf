"""The leads a run has just loaded (raw.leads, this load's rows)."""

import great_expectations as gx
import great_expectations.expectations as gxe

# Deliberately simple: one @, something on both sides, a dot in the domain.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
COLUMNS = ["lead_id", "created_at", "email"]


def build_suite(min_valid_email_share: float = 0.99) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="raw_leads",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="created_at"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="email", regex=EMAIL_PATTERN, mostly=min_valid_email_share
            ),
        ],
    )
