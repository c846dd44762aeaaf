-- Per lead and day with events up to the as-of day, the number of events: what the daily
-- activity facts count. Aggregated once per run, so that each batch of days of
-- int_lead_activity_daily reads these rows instead of aggregating every event again.
with

events as (

    select * from {{ ref('stg_landing__events') }}

),

final as (

    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        count(*) as events
    from events
    where occurred_at < {{ as_of_end() }}
    group by lead_id, cast(occurred_at as date)

)

select * from final
