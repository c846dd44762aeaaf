-- The timing facts of every reviewed lead cycle at the end of its decision day, from the events
-- before that moment only: what timing rules read, and the day each score is computed for.
with

decisions as (

    select * from {{ ref('review_decisions') }}

),

events as (

    select * from {{ ref('stg_landing__events') }}

),

decision_days as (

    select distinct
        lead_id,
        decision_date as as_of_date,
        created_date
    from decisions

),

facts as (

    {{ activity_facts_sql('decision_days', 'events') }}

),

final as (

    select * from facts

)

select * from final
