-- Per lead and day, the activity facts timing rules may name, as of the end of the day:
-- days_since_last_activity, events_last_7_days, events_last_30_days, active_days_last_30_days,
-- days_since_created. Incremental: each run adds the new days (see the score_days macro).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date'
) }}

with

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

events as (

    select * from {{ ref('stg_landing__events') }}

),

build_days as (

    {{ score_days() }}

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

facts as (

    {{ activity_facts_sql('lead_days', 'events') }}

),

final as (

    select * from facts

)

select * from final
