-- One row per lead with a privacy request up to the as-of day: requests name the lead by
-- lead_id or only by e-mail, so both are matched (e-mail against every lead that has it).
with

requests as (

    select * from {{ ref('stg_landing__privacy_requests') }}
    where requested_at < {{ as_of_end() }}

),

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

-- Two equality joins, not one join on either condition, which runs as a nested loop over
-- every lead and request (its time grew with leads x requests).
matched_by_id as (

    select
        leads.lead_id,
        requests.request_type,
        requests.requested_at
    from requests
    inner join leads
        on requests.lead_id = leads.lead_id

),

matched_by_email as (

    select
        leads.lead_id,
        requests.request_type,
        requests.requested_at
    from requests
    inner join leads
        on requests.email = leads.email
    where requests.lead_id is null

),

matched as (

    select * from matched_by_id
    union all
    select * from matched_by_email

),

final as (

    select
        lead_id,
        bool_or(request_type = 'erasure') as has_erasure_request,
        bool_or(request_type = 'withdraw_consent') as has_withdrawn_consent,
        min(case when request_type = 'erasure' then requested_at end) as erasure_requested_at,
        min(case when request_type = 'withdraw_consent' then requested_at end)
            as consent_withdrawn_at
    from matched
    group by lead_id

)

select * from final
