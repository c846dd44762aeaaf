-- Every lifecycle stage each lead has been in, with when it entered and left it and why.
with

stage_history as (

    select * from {{ ref('int_lead_stages_historized') }}

),

final as (

    select
        stage_history_id,
        lead_id,
        lifecycle_stage,
        previous_stage,
        stage_reason,
        mql_cycle,
        entered_at,
        exited_at,
        is_current
    from stage_history

)

select * from final
