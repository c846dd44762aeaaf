-- Per lead and day, the activity facts timing rules may name, as of the end of the day:
-- days_since_last_activity, events_last_7_days, events_last_30_days, active_days_last_30_days,
-- days_since_created. Incremental: each run adds the new days (see the score_days macro).
-- Every lead has a row on every day, so the 7- and 30-day counts are window frames over the
-- lead's days (linear in lead-days) rather than a join of every lead-day with every earlier
-- activity day. The model review scores a few scattered days per lead and uses the join
-- (activity_facts_sql); its tests hold both to the same facts.
{{ config(
    materialized=daily_materialization(),
    tags=['score_history'],
    incremental_strategy=daily_incremental_strategy(),
    unique_key='as_of_date',
    partition_by=daily_partition_by()
) }}

{%- set epoch = "cast('2000-01-01' as date)" %}

with

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

activity_dates as (

    select * from {{ ref('int_lead_activity_dates') }}

),

build_days as (

    {{ score_days() }}

),

-- The first day whose 30-day frame the build needs, and the last day built.
frame_start as (

    select
        cast({{ dbt.dateadd('day', -29, 'min(as_of_date)') }} as date) as first_frame_day,
        max(as_of_date) as last_build_day
    from build_days

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

-- Activity before every frame of the build matters only for the latest activity day.
earlier_activity as (

    select
        activity_dates.lead_id,
        max(activity_dates.activity_date) as last_activity_date
    from activity_dates
    inner join frame_start
        on activity_dates.activity_date < frame_start.first_frame_day
    group by activity_dates.lead_id

),

-- The lead's days to report (no events of their own) and its activity days within the frames.
day_rows as (

    select
        lead_id,
        day_date,
        {{ dbt.datediff(epoch, 'day_date', 'day') }} as day_number,  -- noqa: LT05
        created_date,
        is_reported,
        events
    from (
        select
            lead_id,
            as_of_date as day_date,
            created_date,
            true as is_reported,
            0 as events
        from lead_days
        union all
        select
            activity_dates.lead_id,
            activity_dates.activity_date,
            cast(null as date) as created_date,
            false as is_reported,
            activity_dates.events
        from activity_dates
        inner join frame_start
            on
                activity_dates.activity_date >= frame_start.first_frame_day
                and activity_dates.activity_date <= frame_start.last_build_day
    ) as lead_and_activity_days

),

framed as (

    select
        lead_id,
        day_date,
        created_date,
        is_reported,
        max(case when events > 0 then day_date end) over (
            partition by lead_id order by day_number asc nulls first
            range between unbounded preceding and current row
        ) as last_activity_date,
        sum(events) over (
            partition by lead_id order by day_number asc nulls first
            range between 6 preceding and current row
        ) as events_last_7_days,
        sum(events) over (
            partition by lead_id order by day_number asc nulls first
            range between 29 preceding and current row
        ) as events_last_30_days,
        sum(case when events > 0 then 1 else 0 end) over (
            partition by lead_id order by day_number asc nulls first
            range between 29 preceding and current row
        ) as active_days_last_30_days
    from day_rows

),

reported as (

    select
        framed.day_date as as_of_date,
        framed.lead_id,
        framed.created_date,
        coalesce(framed.last_activity_date, earlier_activity.last_activity_date)
            as last_activity_date,
        framed.events_last_7_days,
        framed.events_last_30_days,
        framed.active_days_last_30_days
    from framed
    left join earlier_activity
        on framed.lead_id = earlier_activity.lead_id
    where framed.is_reported

),

final as (

    select
        as_of_date,
        lead_id,
        last_activity_date,
        {{ dbt.datediff('last_activity_date', 'as_of_date', 'day') }} as days_since_last_activity,  -- noqa: LT05
        events_last_7_days,
        events_last_30_days,
        active_days_last_30_days,
        {{ dbt.datediff('created_date', 'as_of_date', 'day') }} as days_since_created  -- noqa: LT05
    from reported

)

select * from final
