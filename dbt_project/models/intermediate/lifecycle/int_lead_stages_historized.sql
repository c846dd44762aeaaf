-- Lifecycle stage history: one row per stage a lead has been in, with entered_at, exited_at, the
-- reason of the move and the MQL cycle. Consecutive moments with the same stage (see
-- int_lead_stage_moments for the moments and the stage rules) are merged; backward moves
-- (decayed, recycled, disqualified) stay visible.
{%- set thresholds = scoring_config()['thresholds'] %}
{%- set inactive_days = thresholds['recycle_after_inactive_days'] %}

with

stage_moments as (

    select * from {{ ref('int_lead_stage_moments') }}

),

with_previous as (

    select
        *,
        lag(lifecycle_stage) over (
            partition by lead_id order by moment_at
        ) as previous_stage,
        lag(current_mql_cycle) over (
            partition by lead_id order by moment_at
        ) as previous_mql_cycle
    from stage_moments

),

moves as (

    select *
    from with_previous
    where
        previous_stage is null
        or previous_stage != lifecycle_stage
        -- A new MQL cycle right after the previous one is a move too.
        or (lifecycle_stage = 'mql' and previous_mql_cycle != current_mql_cycle)

),

-- The reason is written for the moves only: a text per moment would hold a few hundred
-- megabytes in the window above at a million leads.
explained as (

    select
        lead_id,
        lifecycle_stage,
        previous_stage,
        case stage_rule
            when 'won' then 'opportunity won'
            when 'lost' then 'opportunity lost'
            when 'opportunity' then 'opportunity opened'
            when 'disqualified' then 'disqualified by sales'
            when 'recycled_by_sales' then 'recycled by sales'
            when 'recycled_inactive' then 'recycled: no activity for {{ inactive_days }} days'
            when 'sql'
                then
                    'accepted by sales (' || framework || ' '
                    || cast(criteria_met as {{ dbt.type_string() }}) || '/'
                    || cast(criteria_total as {{ dbt.type_string() }})
                    || ' criteria) at score '
                    || cast(combined_score as {{ dbt.type_string() }})
            when 'mql'
                then
                    'fit grade ' || fit_grade || ' and score '
                    || cast(combined_score as {{ dbt.type_string() }})
                    || ' met the MQL thresholds'
            when 'decayed' then 'score decayed below the MQL thresholds'
            when 'nurture_timeout'
                then 'no MQL within {{ thresholds["nurture_after_days"] }} days'
            else 'lead created'
        end as stage_reason,
        current_mql_cycle as mql_cycle,
        moment_at as entered_at
    from moves

),

stage_periods as (

    select
        {{ text_key(['lead_id', 'entered_at']) }} as stage_history_id,
        lead_id,
        lifecycle_stage,
        previous_stage,
        stage_reason,
        mql_cycle,
        entered_at,
        lead(entered_at) over (partition by lead_id order by entered_at) as exited_at
    from explained

),

final as (

    select
        *,
        exited_at is null as is_current
    from stage_periods

)

select * from final
