-- One row per lead: who it is, its score on the as-of day by dimension, fit grade, engagement
-- and combined score, its current lifecycle stage, how many MQL cycles it went through, and when
-- it first reached each funnel step (from int_leads_funneled).
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

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

current_scores as (

    select * from snapshots
    where as_of_date = {{ as_of_date() }}

),

current_stages as (

    select * from stage_history
    where is_current

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
        funnel.mql_cycles,
        funnel.mql_at,
        funnel.sql_at,
        funnel.opportunity_at,
        funnel.closed_at,
        {{ as_of_date() }} as as_of_date
    from leads
    left join accounts
        on leads.account_id = accounts.account_id
    left join current_scores
        on leads.lead_id = current_scores.lead_id
    left join current_stages
        on leads.lead_id = current_stages.lead_id
    left join funnel
        on leads.lead_id = funnel.lead_id

)

select * from final
