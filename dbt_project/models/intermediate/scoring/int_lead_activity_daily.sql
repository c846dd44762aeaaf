-- Per lead and day, the activity facts timing rules may name, as of the end of the day:
-- days_since_last_activity, events_last_7_days, events_last_30_days, active_days_last_30_days,
-- days_since_created. Incremental: each run adds the new days (see the score_days macro).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date'
) }}

with

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

events as (

    select * from {{ ref('stg_landing__events') }}

),

build_days as (

    {{ score_days() }}

),

lead_days as (

    select
        build_days.as_of_date,
        leads.lead_id,
        cast(leads.created_at as date) as created_date
    from build_days
    inner join leads
        on leads.created_at < {{ day_end('build_days.as_of_date') }}

),

activity_dates as (

    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        count(*) as events
    from events
    group by lead_id, cast(occurred_at as date)

),

lead_day_activity as (

    select
        lead_days.as_of_date,
        lead_days.lead_id,
        lead_days.created_date,
        activity_dates.activity_date,
        activity_dates.events,
        {{ dbt.datediff('activity_dates.activity_date', 'lead_days.as_of_date', 'day') }}
            as days_ago
    from lead_days
    left join activity_dates
        on
            lead_days.lead_id = activity_dates.lead_id
            and lead_days.as_of_date >= activity_dates.activity_date

),

facts as (

    select
        as_of_date,
        lead_id,
        created_date,
        max(activity_date) as last_activity_date,
        sum(case when days_ago < 7 then events else 0 end) as events_last_7_days,
        sum(case when days_ago < 30 then events else 0 end) as events_last_30_days,
        sum(case when days_ago < 30 then 1 else 0 end) as active_days_last_30_days
    from lead_day_activity
    group by as_of_date, lead_id, created_date

),

final as (

    select
        as_of_date,
        lead_id,
        last_activity_date,
        {{ dbt.datediff('last_activity_date', 'as_of_date', 'day') }}
            as days_since_last_activity,
        events_last_7_days,
        events_last_30_days,
        active_days_last_30_days,
        {{ dbt.datediff('created_date', 'as_of_date', 'day') }}
            as days_since_created
    from facts

)

select * from final
