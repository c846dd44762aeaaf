-- One row per lead with its segment and the moments it passed each funnel step: the single
-- definition every KPI mart counts from. Reaching a later stage passes the earlier steps (a lead
-- that went straight to SQL, or that sales opened an opportunity for, has passed MQL then too).
-- sql_stage_at is when the lead was first in the SQL stage itself (null for a lead sales opened
-- an opportunity for without qualifying it first): what SQL-to-close, speed to lead from SQL and
-- won-through-qualification measure from; mql_stage_at likewise for the MQL stage (null for a
-- lead that passed MQL only by reaching a later stage). A sales action is an assessment or an
-- opportunity opened; speed to lead measures the first one at or after the MQL stage began, and
-- the first one after the SQL stage began (the assessment that qualified the lead is not an
-- action after it). Measured from mql_at instead, a lead that went straight to SQL would wait 0
-- hours for the very action that moved it.
with

leads as (

    -- Leads created after the as-of day do not exist yet on that day.
    select * from {{ ref('stg_landing__leads') }}
    where created_at < {{ as_of_end() }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

stage_history as (

    select * from {{ ref('int_lead_stages_historized') }}

),

assessments as (

    select * from {{ ref('int_assessments_evaluated') }}

),

opportunities as (

    select * from {{ ref('stg_landing__opportunities') }}
    where created_at < {{ as_of_end() }}

),

milestones as (

    select
        lead_id,
        min(
            case
                when lifecycle_stage in ('mql', 'sql', 'opportunity', 'won', 'lost')
                    then entered_at
            end
        ) as mql_at,
        min(
            case
                when lifecycle_stage in ('sql', 'opportunity', 'won', 'lost') then entered_at
            end
        ) as sql_at,
        min(case when lifecycle_stage = 'mql' then entered_at end) as mql_stage_at,
        min(case when lifecycle_stage = 'sql' then entered_at end) as sql_stage_at,
        min(
            case when lifecycle_stage in ('opportunity', 'won', 'lost') then entered_at end
        ) as opportunity_at,
        min(case when lifecycle_stage = 'won' then entered_at end) as won_at,
        min(case when lifecycle_stage = 'lost' then entered_at end) as lost_at,
        -- MQL cycles the lead spent in the MQL stage: one that begins while it is an SQL, in
        -- an opportunity, closed or disqualified moves no stage.
        count(distinct case when lifecycle_stage = 'mql' then mql_cycle end) as mql_cycles,
        -- The MQL cycle of its latest move, whatever its stage: what an SQL's cycle is.
        coalesce(max(mql_cycle), 0) as latest_mql_cycle
    from stage_history
    group by lead_id

),

sales_actions as (

    select
        lead_id,
        assessed_at as action_at
    from assessments

    union all

    select
        lead_id,
        created_at as action_at
    from opportunities

),

first_sales_actions as (

    select
        milestones.lead_id,
        min(
            case
                when sales_actions.action_at >= milestones.mql_stage_at
                    then sales_actions.action_at
            end
        ) as first_action_after_mql_stage_at,
        min(
            case
                when sales_actions.action_at > milestones.sql_stage_at
                    then sales_actions.action_at
            end
        ) as first_action_after_sql_stage_at
    from milestones
    inner join sales_actions
        on milestones.lead_id = sales_actions.lead_id
    group by milestones.lead_id

),

final as (

    select
        leads.lead_id,
        leads.account_id,
        coalesce(leads.source, 'unknown') as source,
        coalesce(accounts.industry, 'unknown') as industry,
        case
            when accounts.employee_count is null then 'unknown'
            when accounts.employee_count < 50 then '1-49'
            when accounts.employee_count < 200 then '50-199'
            when accounts.employee_count < 1000 then '200-999'
            when accounts.employee_count < 5000 then '1000-4999'
            else '5000+'
        end as size_band,
        coalesce(accounts.country_code, leads.country_code, 'unknown') as country_code,
        leads.created_at,
        milestones.mql_at,
        milestones.mql_stage_at,
        milestones.sql_at,
        milestones.sql_stage_at,
        milestones.opportunity_at,
        coalesce(milestones.won_at, milestones.lost_at) as closed_at,
        milestones.won_at is not null as is_won,
        milestones.lost_at is not null and milestones.won_at is null as is_lost,
        coalesce(milestones.mql_cycles, 0) as mql_cycles,
        coalesce(milestones.latest_mql_cycle, 0) as latest_mql_cycle,
        first_sales_actions.first_action_after_mql_stage_at,
        first_sales_actions.first_action_after_sql_stage_at
    from leads
    left join accounts
        on leads.account_id = accounts.account_id
    left join milestones
        on leads.lead_id = milestones.lead_id
    left join first_sales_actions
        on leads.lead_id = first_sales_actions.lead_id

)

select * from final
