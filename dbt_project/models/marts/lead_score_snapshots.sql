-- The score of every lead at the end of every day: four dimensions (the sums of the score ledger),
-- the fit grade A-D (demographic + firmographic points), the engagement score 0-100 (behavioural
-- + timing), the combined score (fit + engagement) and whether the lead meets the MQL and SQL
-- score thresholds that day. Incremental: each run adds the new days, so any past day's score
-- stays as it was computed.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date'
) }}
{%- set thresholds = scoring_config()['thresholds'] %}

with

lead_activity as (

    select * from {{ ref('int_lead_activity_daily') }}

),

ledger as (

    select * from {{ ref('score_ledger') }}

),

build_days as (

    {{ score_days() }}

),

lead_days as (

    select lead_activity.*
    from lead_activity
    inner join build_days
        on lead_activity.as_of_date = build_days.as_of_date

),

dimension_scores as (

    select
        ledger.as_of_date,
        ledger.lead_id,
        sum(case when ledger.dimension = 'demographic' then ledger.points_counted else 0 end)
            as demographic_score,
        sum(case when ledger.dimension = 'firmographic' then ledger.points_counted else 0 end)
            as firmographic_score,
        sum(case when ledger.dimension = 'behavioural' then ledger.points_counted else 0 end)
            as behavioural_score,
        sum(case when ledger.dimension = 'timing' then ledger.points_counted else 0 end)
            as timing_score
    from ledger
    inner join build_days
        on ledger.as_of_date = build_days.as_of_date
    group by ledger.as_of_date, ledger.lead_id

),

scores as (

    select
        lead_days.as_of_date,
        lead_days.lead_id,
        cast(coalesce(dimension_scores.demographic_score, 0) as integer) as demographic_score,
        cast(coalesce(dimension_scores.firmographic_score, 0) as integer) as firmographic_score,
        cast(coalesce(dimension_scores.behavioural_score, 0) as integer) as behavioural_score,
        cast(coalesce(dimension_scores.timing_score, 0) as integer) as timing_score,
        lead_days.last_activity_date,
        lead_days.days_since_last_activity
    from lead_days
    left join dimension_scores
        on
            lead_days.as_of_date = dimension_scores.as_of_date
            and lead_days.lead_id = dimension_scores.lead_id

),

graded as (

    select
        *,
        demographic_score + firmographic_score as fit_score,
        {{ fit_grade('demographic_score + firmographic_score') }} as fit_grade,
        behavioural_score + timing_score as engagement_score,
        demographic_score + firmographic_score + behavioural_score + timing_score
            as combined_score
    from scores

),

final as (

    select
        as_of_date,
        lead_id,
        demographic_score,
        firmographic_score,
        behavioural_score,
        timing_score,
        fit_score,
        fit_grade,
        engagement_score,
        combined_score,
        fit_grade <= '{{ thresholds["mql_min_fit_grade"] }}'
        and combined_score >= {{ thresholds['mql_min_combined_score'] }} as meets_mql_thresholds,
        combined_score >= {{ thresholds['sql_min_combined_score'] }} as meets_sql_threshold,
        last_activity_date,
        days_since_last_activity
    from graded

)

select * from final
