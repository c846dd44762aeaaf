-- The score ledger: per as-of day, lead and rule that counted, the raw points, the decay factor
-- and the points counted; plus one row per dimension cap or floor applied. The ledger of a lead
-- and day sums to its score (lead_score_snapshots), rule by rule. Rules come from
-- scoring/rules.yml; conditions are validated SQL over the columns of their context.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date'
) }}

with

lead_activity as (

    select * from {{ ref('int_lead_activity_daily') }}

),

profiles as (

    select * from {{ ref('int_lead_profiles') }}

),

events as (

    select * from {{ ref('int_events_categorized') }}

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

    {{ score_ledger_sql(scoring_config(), 'lead_days', 'profiles', 'events') }}

),

final as (

    select * from ledger

)

select * from final
