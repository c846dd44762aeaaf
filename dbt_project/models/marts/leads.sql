-- One row per lead: who it is, its score on the as-of day by dimension, fit grade, engagement
-- and combined score, its current lifecycle stage, how many MQL cycles it went through, and when
-- it first reached each funnel step. Reaching a later stage passes the earlier steps: a lead that
-- went straight to SQL, or that sales opened an opportunity for, has passed MQL then too.
with

leads as (

    -- Leads created after the as-of day do not exist yet on that day.
    select * from {{ ref('stg_landing__leads') }}
    where created_at < {{ as_of_end() }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

snapshots as (

    select * from {{ ref('lead_score_snapshots') }}

),

stage_history as (

    select * from {{ ref('int_lead_stages_historized') }}

),

current_scores as (

    select * from snapshots
    where as_of_date = {{ as_of_date() }}

),

current_stages as (

    select * from stage_history
    where is_current

),

funnel_milestones as (

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
        min(
            case when lifecycle_stage in ('opportunity', 'won', 'lost') then entered_at end
        ) as opportunity_at,
        min(case when lifecycle_stage in ('won', 'lost') then entered_at end) as closed_at,
        coalesce(max(mql_cycle), 0) as mql_cycles
    from stage_history
    group by lead_id

),

final as (

    select
        leads.lead_id,
        leads.account_id,
        coalesce(accounts.company_name, leads.company_name) as company_name,
        leads.email,
        leads.first_name,
        leads.last_name,
        leads.job_title,
        leads.source,
        leads.campaign,
        coalesce(accounts.country_code, leads.country_code) as country_code,
        accounts.industry,
        accounts.employee_count,
        leads.has_marketing_consent,
        leads.is_do_not_contact,
        leads.created_at,
        coalesce(current_scores.demographic_score, 0) as demographic_score,
        coalesce(current_scores.firmographic_score, 0) as firmographic_score,
        coalesce(current_scores.behavioural_score, 0) as behavioural_score,
        coalesce(current_scores.timing_score, 0) as timing_score,
        coalesce(current_scores.fit_score, 0) as fit_score,
        coalesce(current_scores.fit_grade, 'D') as fit_grade,
        coalesce(current_scores.engagement_score, 0) as engagement_score,
        coalesce(current_scores.combined_score, 0) as combined_score,
        current_scores.last_activity_date,
        current_stages.lifecycle_stage,
        current_stages.stage_reason,
        current_stages.entered_at as stage_entered_at,
        funnel_milestones.mql_cycles,
        funnel_milestones.mql_at,
        funnel_milestones.sql_at,
        funnel_milestones.opportunity_at,
        funnel_milestones.closed_at,
        {{ as_of_date() }} as as_of_date
    from leads
    left join accounts
        on leads.account_id = accounts.account_id
    left join current_scores
        on leads.lead_id = current_scores.lead_id
    left join current_stages
        on leads.lead_id = current_stages.lead_id
    left join funnel_milestones
        on leads.lead_id = funnel_milestones.lead_id

)

select * from final
