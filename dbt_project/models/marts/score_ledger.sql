-- The score ledger: per as-of day, lead and rule that counted, the raw points, the decay factor
-- and the points counted; plus one row per dimension cap or floor applied. The ledger of a lead
-- and day sums to its score (lead_score_snapshots), rule by rule. Rules come from
-- scoring/rules.yml; conditions are validated SQL over the columns of their context.
-- It keeps the last score_ledger_days days (a full build computes them, each run adds the new
-- days and drops the oldest): a row per lead, day and rule does not scale to the whole history,
-- which lead_score_snapshots keeps as scores.
{{ config(
    materialized=daily_materialization(),
    tags=['score_history'],
    incremental_strategy=daily_incremental_strategy(),
    unique_key='as_of_date',
    partition_by=daily_partition_by(),
    history_days=var('score_ledger_days'),
    post_hook="{{ drop_days_before(
        this, dbt.dateadd('day', 1 - var('score_ledger_days'), as_of_date())) }}"
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

ledger as (

    {{ score_ledger_sql(scoring_config(), 'lead_days', 'profiles', 'rule_activity') }}

),

final as (

    select * from ledger

)

select * from final
