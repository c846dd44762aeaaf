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

-- The latest version of each record that had taken effect by the end of the day.
leads_then as (

    select * from (
        select
            decision_days.profile_date,
            lead_versions.*,
            row_number() over (
                partition by decision_days.lead_id, decision_days.profile_date
                order by lead_versions.version_number desc
            ) as recency
        from decision_days
        inner join lead_versions
            on
                decision_days.lead_id = lead_versions.lead_id
                and (
                    lead_versions.valid_from is null
                    or lead_versions.valid_from < {{ day_end('decision_days.profile_date') }}
                )
    ) as effective
    where recency = 1

),

accounts_then as (

    select * from (
        select
            account_days.profile_date,
            account_versions.*,
            row_number() over (
                partition by account_days.account_id, account_days.profile_date
                order by account_versions.version_number desc
            ) as recency
        from (
            select distinct
                account_id,
                profile_date
            from leads_then
        ) as account_days
        inner join account_versions
            on
                account_days.account_id = account_versions.account_id
                and (
                    account_versions.valid_from is null
                    or account_versions.valid_from < {{ day_end('account_days.profile_date') }}
                )
    ) as effective
    where recency = 1

),

profiles as (

    {{ lead_profiles_sql(review_attributes(), 'leads_then', 'accounts_then', by_day=true) }}

),

final as (

    select * from profiles

)

select * from final
