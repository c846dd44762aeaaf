-- The score of every lead at the end of every day: four dimensions, the fit grade A-D
-- (demographic + firmographic points), the engagement score 0-100 (behavioural + timing), the
-- combined score (fit + engagement) and whether the lead meets the MQL and SQL score thresholds
-- that day. Computed from the rules by dimension, not from the score ledger, which keeps only the
-- last score_ledger_days days (the dbt test assert_score_ledger_sums_to_the_score checks that the
-- two agree on those days). Incremental: each run adds the new days, so any past day's score
-- stays as it was computed.
{{ config(
    materialized=daily_materialization(),
    tags=['score_history'],
    incremental_strategy=daily_incremental_strategy(),
    unique_key='as_of_date',
    partition_by=daily_partition_by(),
    batch_days=var('snapshot_batch_days')
) }}

with

lead_activity as (

    select * from {{ ref('int_lead_activity_daily') }}

),

profiles as (

    select * from {{ ref('int_lead_profiles') }}

),

rule_activity as (

    select * from {{ ref('int_lead_rule_activity_dates') }}

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

lead_dimension_scores as (

    {{ dimension_scores_sql(scoring_config(), 'lead_days', 'profiles', 'rule_activity') }}

),

scores as (

    {{ score_summary_sql(
        scoring_config(), 'lead_days', dimension_scores='lead_dimension_scores'
    ) }}

),

final as (

    select * from scores

)

select * from final
