-- The lead-days whose score snapshot can change the lead's lifecycle stage: its first day, a day
-- the MQL or SQL thresholds it meets change, and the day a lead reaches (or, active again,
-- leaves) the inactivity limit. On other days the snapshot repeats what the day before meant for
-- the stage, so the stage history reads these rows instead of every lead-day of the history.
-- Incremental by day like the snapshots: a day is compared with the day before it.
{%- set inactive_days = scoring_config()['thresholds']['recycle_after_inactive_days'] %}
{{ config(
    materialized=daily_materialization(),
    tags=['score_history'],
    incremental_strategy=daily_incremental_strategy(),
    unique_key='as_of_date',
    partition_by=daily_partition_by()
) }}

with

build_days as (

    {{ score_days() }}

),

-- The days built and the day before the first: each day's previous snapshot.
compared_days as (

    select as_of_date from build_days
    union
    select cast({{ dbt.dateadd('day', -1, 'min(as_of_date)') }} as date) as as_of_date
    from build_days

),

snapshots as (

    select snapshots.*
    from {{ ref('lead_score_snapshots') }} as snapshots
    inner join compared_days
        on snapshots.as_of_date = compared_days.as_of_date

),

compared as (

    select
        as_of_date,
        lead_id,
        meets_mql_thresholds,
        meets_sql_threshold,
        days_since_last_activity,
        lag(meets_mql_thresholds) over (
            partition by lead_id order by as_of_date
        ) as previous_meets_mql,
        lag(meets_sql_threshold) over (
            partition by lead_id order by as_of_date
        ) as previous_meets_sql,
        lag(days_since_last_activity) over (
            partition by lead_id order by as_of_date
        ) as previous_days_since_activity
    from snapshots

),

final as (

    select
        compared.as_of_date,
        compared.lead_id,
        compared.meets_mql_thresholds,
        compared.meets_sql_threshold,
        compared.days_since_last_activity
    from compared
    inner join build_days
        on compared.as_of_date = build_days.as_of_date
    where
        compared.previous_meets_mql is null
        or compared.meets_mql_thresholds != compared.previous_meets_mql
        or compared.meets_sql_threshold != compared.previous_meets_sql
        -- Reaching the inactivity limit: on the day it is reached, or at once when the days
        -- jump past it (activity redefined, the limit lowered).
        or (
            compared.days_since_last_activity >= {{ inactive_days }}
            and compared.previous_days_since_activity < {{ inactive_days }}
        )
        or (
            compared.previous_days_since_activity >= {{ inactive_days }}
            and compared.days_since_last_activity < compared.previous_days_since_activity
        )

)

select * from final
