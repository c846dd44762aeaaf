-- The SQL list sales works from, and the only table publishing reads: every lead whose current
-- stage is sql on the as-of day, with its score, top reasons, who works it and when the first
-- follow-up is due. Leads that must not be contacted (do_not_contact, withdrawn consent, an
-- erasure request) are left out here, and the publish_list quality gate checks it again.
with

leads as (

    select * from {{ ref('leads') }}

),

reasons as (

    select * from {{ ref('lead_score_reasons') }}

),

assessments as (

    select * from {{ ref('int_assessments_evaluated') }}

),

privacy as (

    select * from {{ ref('int_privacy_requests_matched') }}

),

territories as (

    select * from {{ ref('sales_territories') }}

),

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

sales_qualified as (

    select * from leads
    where lifecycle_stage = 'sql'

),

top_reasons as (

    select
        lead_id,
        {{ dbt.listagg('reason', "'; '", 'order by reason_rank asc nulls first') }} as top_reasons
    from reasons
    where reason_rank <= 3
    group by lead_id

),

-- The salesperson whose latest qualifying assessment made the lead an SQL.
owners as (

    select
        lead_id,
        assessed_by as sales_owner,
        row_number() over (
            partition by lead_id
            order by assessed_at desc, assessment_id desc
        ) as owner_rank
    from assessments
    where is_sales_qualified

),

final as (

    select
        sales_qualified.lead_id,
        sales_qualified.account_id,
        sales_qualified.company_name,
        sales_qualified.email,
        sales_qualified.first_name,
        sales_qualified.last_name,
        sales_qualified.job_title,
        sales_qualified.country_code,
        sales_qualified.source,
        sales_qualified.campaign,
        sales_qualified.combined_score,
        sales_qualified.fit_grade,
        sales_qualified.engagement_score,
        top_reasons.top_reasons,
        owners.sales_owner,
        territories.territory,
        funnel.latest_mql_cycle as sql_cycle,
        sales_qualified.stage_entered_at as sql_at,
        {{ dbt.dateadd(
            'hour', var('speed_to_lead_sla_hours'), 'sales_qualified.stage_entered_at'
        ) }} as follow_up_due_at,
        sales_qualified.as_of_date
    from sales_qualified
    left join top_reasons
        on sales_qualified.lead_id = top_reasons.lead_id
    left join owners
        on
            sales_qualified.lead_id = owners.lead_id
            and owners.owner_rank = 1
    left join territories
        on sales_qualified.country_code = territories.country_code
    inner join funnel
        on sales_qualified.lead_id = funnel.lead_id
    left join privacy
        on sales_qualified.lead_id = privacy.lead_id
    where
        not sales_qualified.is_do_not_contact
        and not coalesce(privacy.has_erasure_request, false)
        and not coalesce(privacy.has_withdrawn_consent, false)

)

select * from final
