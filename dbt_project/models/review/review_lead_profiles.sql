-- The profile of every reviewed lead as it was at the end of each of its decision days: the
-- lead version and account version current then (a job title or headcount changed later is not
-- seen), with each custom attribute any configuration under review names.
with

decisions as (

    select * from {{ ref('review_decisions') }}

),

lead_versions as (

    select * from {{ ref('stg_landing__lead_versions') }}

),

account_versions as (

    select * from {{ ref('stg_landing__account_versions') }}

),

decision_days as (

    select distinct
        lead_id,
        decision_date as profile_date
    from decisions

),

-- The version of each record in effect at the end of the decision day.
leads_then as (

    {{ version_in_effect('lead_versions', 'decision_days', 'lead_id') }}

),

account_days as (

    select distinct
        account_id,
        profile_date
    from leads_then

),

accounts_then as (

    {{ version_in_effect('account_versions', 'account_days', 'account_id') }}

),

profiles as (

    {{ lead_profiles_sql(review_attributes(), 'leads_then', 'accounts_then', by_day=true) }}

),

final as (

    select * from profiles

)

select * from final
