"""What one load added to a raw table (raw.<entity> where _load_id is the run), per entity.

The generic part comes from the landing contract (required columns, accepted values,
non-negative numbers, the key of immutable entities), passed in by the caller so this package
does not depend on the loader; the checks the contract cannot express per column are added here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from data_quality.expectations import COUNTRY_CODE_PATTERN, valid_emails


def _entity_expectations(entity: str, min_valid_email_share: float) -> list[gxe.Expectation]:
    country = gxe.ExpectColumnValuesToMatchRegex(
        column="country", regex=COUNTRY_CODE_PATTERN, mostly=0.99
    )
    return {
        "leads": [valid_emails(min_valid_email_share), country],
        "accounts": [
            country,
            gxe.ExpectColumnValuesToBeBetween(column="growth_rate", min_value=-1, max_value=10),
        ],
        "opportunities": [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="closed_at",
                column_B="created_at",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            )
        ],
        # A request must name the lead somehow: by lead_id or by e-mail.
        "privacy_requests": [
            gxe.ExpectColumnValuesToNotBeNull(
                column="email", row_condition=Column("lead_id").is_null()
            )
        ],
    }.get(entity, [])


def build_suite(
    entity: str,
    *,
    required: Sequence[str],
    accepted_values: Mapping[str, Sequence[str]],
    non_negative: Sequence[str],
    unique_key: Sequence[str] = (),
    min_valid_email_share: float,
) -> gx.ExpectationSuite:
    expectations: list[gxe.Expectation] = [
        *[gxe.ExpectColumnValuesToNotBeNull(column=column) for column in required],
        *[
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))
            for column, values in accepted_values.items()
        ],
        *[gxe.ExpectColumnValuesToBeBetween(column=column, min_value=0) for column in non_negative],
        *_entity_expectations(entity, min_valid_email_share),
    ]
    if len(unique_key) == 1:
        expectations.append(gxe.ExpectColumnValuesToBeUnique(column=unique_key[0]))
    elif unique_key:
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(unique_key)))
    return gx.ExpectationSuite(name=f"raw_{entity}", expectations=expectations)
