-- Every lead in the leads mart has exactly one current stage in its stage history.
{{ config(meta={'dagster': {'ref': {'name': 'lead_stage_history'}}}) }}

with

leads as (

    select * from {{ ref('leads') }}

),

stage_history as (

    select * from {{ ref('lead_stage_history') }}

),

current_stage_counts as (

    select
        leads.lead_id,
        count(stage_history.lead_id) as current_stages
    from leads
    left join stage_history
        on
            leads.lead_id = stage_history.lead_id
            and stage_history.is_current
    group by leads.lead_id

),

final as (

    select * from current_stage_counts
    where current_stages != 1

)

select * from final
