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

ledger_days as (

    select ledger.*
    from ledger
    inner join build_days
        on ledger.as_of_date = build_days.as_of_date

),

scores as (

    {{ score_summary_sql(scoring_config(), 'lead_days', 'ledger_days') }}

),

final as (

    select * from scores

)

select * from final
