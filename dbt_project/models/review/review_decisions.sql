-- The lead cycles the review learns from and tests on: one row per cycle old enough for its
-- outcome to have happened (outcome_window_days), with its decision day and split. The decision
-- day is the day whose end-of-day score sales would have seen before acting: the day before the
-- first sales touch, or decision_horizon_days after the cycle started when sales never touched
-- it (not before the cycle's first day). Scores are computed as of the end of that day only.
-- The split holds out whole accounts (a lead without an account on its own).
{%- set settings = review_settings() %}
{%- set converted_column = 'is_won' if settings['target'] == 'won' else 'has_opportunity' %}

with

outcomes as (

    select * from {{ ref('lead_outcomes') }}

),

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

decision_days as (

    select
        outcomes.*,
        leads.account_id,
        cast(leads.created_at as date) as created_date,
        cast(outcomes.cycle_started_at as date) as cycle_start_date,
        cast({{ dbt.dateadd(
            'day', settings['decision_horizon_days'], 'cast(outcomes.cycle_started_at as date)'
        ) }} as date) as horizon_date,
        cast({{ dbt.dateadd(
            'day', -1, 'cast(outcomes.first_sales_touch_at as date)'
        ) }} as date) as day_before_touch
    from outcomes
    inner join leads
        on outcomes.lead_id = leads.lead_id
    where
        outcomes.cycle_started_at < {{ dbt.dateadd(
            'day', -settings['outcome_window_days'], as_of_end()
        ) }}

),

final as (

    select
        lead_outcome_id,
        lead_id,
        account_id,
        lead_cycle,
        lead_source,
        created_date,
        cycle_started_at,
        greatest(
            cycle_start_date,
            case
                when day_before_touch < horizon_date then day_before_touch
                else horizon_date
            end
        ) as decision_date,
        -- By account: leads of one buying group share their outcome, so a lead held out
        -- while its colleague trained the model would flatter the candidate.
        case
            when
                {{ hash_bucket('coalesce(account_id, lead_id)') }}
                < {{ settings['holdout_percent'] }}
                then 'holdout'
            else 'training'
        end as split,
        assessments > 0 as was_assessed,
        first_assessed_at,
        is_sales_qualified,
        has_opportunity,
        is_won,
        {{ converted_column }} as is_converted,
        outcome
    from decision_days

)

select * from final
