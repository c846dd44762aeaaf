"""The SQL list publishing sends to sales (marts.sql_publish_list).

The frame re-derives, from staging and stage history rather than from the mart's own columns,
what must never be on the list: a lead that is not an SQL now, that has do_not_contact, or whose
privacy request (matched the way int_privacy_requests_matched matches it) withdrew consent or
asked for erasure. A mart edit that drops a filter is caught here, before anything is sent.
"""

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from data_quality.expectations import ScoreBounds, scores_within

FRAME_SQL = """
    with matched as (
        -- Two equality joins, not one on either condition (a nested loop over leads x requests).
        select leads.lead_id, requests.request_type
        from staging.stg_landing__privacy_requests as requests
        inner join staging.stg_landing__leads as leads
            on requests.lead_id = leads.lead_id
        where requests.requested_at < $as_of_end
        union all
        select leads.lead_id, requests.request_type
        from staging.stg_landing__privacy_requests as requests
        inner join staging.stg_landing__leads as leads
            on requests.email = leads.email
        where requests.requested_at < $as_of_end and requests.lead_id is null
    ),
    privacy as (
        select
            lead_id,
            bool_or(request_type = 'erasure') as has_erasure_request,
            bool_or(request_type = 'withdraw_consent') as has_withdrawn_consent
        from matched
        group by lead_id
    )
    select
        published.lead_id,
        published.sales_owner,
        published.territory,
        published.sql_at,
        published.combined_score,
        published.engagement_score,
        stages.lifecycle_stage,
        coalesce(staged.is_do_not_contact, false) as is_do_not_contact,
        coalesce(privacy.has_withdrawn_consent, false) as has_withdrawn_consent,
        coalesce(privacy.has_erasure_request, false) as has_erasure_request
    from marts.sql_publish_list as published
    left join staging.stg_landing__leads as staged
        on published.lead_id = staged.lead_id
    left join marts.lead_stage_history as stages
        on published.lead_id = stages.lead_id and stages.is_current
    left join privacy
        on published.lead_id = privacy.lead_id
"""
KEY = ["lead_id"]


def build_suite(score_bounds: ScoreBounds) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="publish_list",
        expectations=[
            gxe.ExpectColumnValuesToNotBeNull(column="lead_id"),
            gxe.ExpectColumnValuesToBeUnique(column="lead_id"),
            gxe.ExpectColumnValuesToBeInSet(column="lifecycle_stage", value_set=["sql"]),
            gxe.ExpectColumnValuesToNotBeNull(column="lifecycle_stage"),
            gxe.ExpectColumnValuesToBeInSet(column="is_do_not_contact", value_set=[False]),
            gxe.ExpectColumnValuesToBeInSet(column="has_withdrawn_consent", value_set=[False]),
            gxe.ExpectColumnValuesToBeInSet(column="has_erasure_request", value_set=[False]),
            # Every SQL must reach someone: its owner, else its territory's queue.
            gxe.ExpectColumnValuesToNotBeNull(
                column="sales_owner", row_condition=Column("territory").is_null()
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="sql_at"),
            *scores_within(score_bounds, ["combined_score", "engagement_score"]),
        ],
    )
