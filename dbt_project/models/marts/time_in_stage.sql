-- How long leads stay in each lifecycle stage: days between entering and leaving it, over the
-- stage periods that have ended (median, 75th percentile, mean), and how many are still in it.
with

stage_history as (

    select * from {{ ref('int_lead_stages_historized') }}

),

periods as (

    select
        lifecycle_stage,
        exited_at is null as is_open,
        {{ dbt.datediff('entered_at', 'exited_at', 'second') }} as seconds_in_stage  -- noqa: LT05
    from stage_history

),

period_days as (

    select
        *,
        seconds_in_stage / 86400.0 as days_in_stage
    from periods

),

final as (

    select
        lifecycle_stage,
        cast(sum(case when is_open then 0 else 1 end) as bigint) as completed_periods,
        cast(sum(case when is_open then 1 else 0 end) as bigint) as leads_in_stage_now,
        {{ round_half_away('percentile_cont(0.5) within group (order by days_in_stage)', 3) }}
            as median_days,
        {{ round_half_away('percentile_cont(0.75) within group (order by days_in_stage)', 3) }}
            as p75_days,
        -- The mean of whole seconds: an exact sum, so no order of summation moves a mean that
        -- lies on a rounding half.
        {{ round_half_away('avg(seconds_in_stage) / 86400.0', 3) }} as mean_days
    from period_days
    group by lifecycle_stage

)

select * from final
