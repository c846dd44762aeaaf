-- What happened to every lead cycle, for the review of the scoring model: one row per lead and
-- cycle. A cycle starts when the lead is created, and again after each recycle verdict of sales
-- (a recycled lead gets a new chance). Per cycle: when it became an MQL and an SQL, what sales
-- did (the last verdict of the cycle, its reason, who assessed), the opportunity opened in the
-- cycle (won, lost or open, amount, dates) and the first sales touch (an assessment or an
-- opportunity), before which the review reads the lead's score.
with

leads as (

    select * from {{ ref('stg_landing__leads') }}
    where created_at < {{ as_of_end() }}

),

assessments as (

    select * from {{ ref('int_assessments_evaluated') }}

),

opportunities as (

    select * from {{ ref('stg_landing__opportunities') }}
    where created_at < {{ as_of_end() }}

),

stage_history as (

    select * from {{ ref('lead_stage_history') }}

),

exchange_rates as (

    select * from {{ ref('exchange_rates') }}

),

cycle_starts as (

    select
        lead_id,
        1 as lead_cycle,
        created_at as started_at
    from leads

    union all

    select
        lead_id,
        1 + row_number() over (partition by lead_id order by assessed_at) as lead_cycle,
        assessed_at as started_at
    from assessments
    where verdict = 'recycle'

),

cycles as (

    select
        lead_id,
        lead_cycle,
        started_at,
        lead(started_at) over (partition by lead_id order by lead_cycle) as ended_at
    from cycle_starts

),

-- An assessment belongs to the cycle it was made in; a recycle verdict closes its cycle.
cycle_assessments as (

    select
        cycles.lead_id,
        cycles.lead_cycle,
        assessments.assessed_at,
        assessments.verdict,
        assessments.verdict_reason,
        assessments.assessed_by,
        assessments.framework,
        assessments.criteria_met,
        assessments.is_sales_qualified,
        count(*) over (partition by cycles.lead_id, cycles.lead_cycle) as assessments,
        min(assessments.assessed_at) over (
            partition by cycles.lead_id, cycles.lead_cycle
        ) as first_assessed_at,
        row_number() over (
            partition by cycles.lead_id, cycles.lead_cycle
            order by assessments.assessed_at desc, assessments.assessment_id desc
        ) as latest_rank
    from cycles
    inner join assessments
        on
            cycles.lead_id = assessments.lead_id
            and (cycles.lead_cycle = 1 or cycles.started_at < assessments.assessed_at)
            and (cycles.ended_at is null or cycles.ended_at >= assessments.assessed_at)

),

cycle_opportunities as (

    select
        cycles.lead_id,
        cycles.lead_cycle,
        opportunities.opportunity_id,
        opportunities.created_at,
        -- In the reporting currency; null for a currency without an exchange rate.
        opportunities.amount * exchange_rates.rate_to_reporting_currency as amount,
        -- A close after the as-of day is not known yet on that day.
        case
            when opportunities.closed_at < {{ as_of_end() }} then opportunities.closed_at
        end as closed_at,
        opportunities.is_won and opportunities.closed_at < {{ as_of_end() }} as is_won,
        case
            when opportunities.closed_at < {{ as_of_end() }} then opportunities.lost_reason
        end as lost_reason
    from cycles
    inner join opportunities
        on
            cycles.lead_id = opportunities.lead_id
            -- An opportunity filed before its lead (entered late in the CRM) is the first
            -- cycle's, as an early assessment is.
            and (cycles.lead_cycle = 1 or cycles.started_at <= opportunities.created_at)
            and (cycles.ended_at is null or cycles.ended_at > opportunities.created_at)
    left join exchange_rates
        on
            coalesce(opportunities.currency, '{{ var("reporting_currency") }}')
            = exchange_rates.currency

),

-- A cycle is won when one of its opportunities is (at its first won close, with the won
-- amount), lost once all are closed and none won.
opportunity_summary as (

    select
        lead_id,
        lead_cycle,
        opportunities,
        opportunity_id,
        opportunity_created_at,
        coalesce(first_won_at, last_closed_at) as opportunity_closed_at,
        first_won_at is not null as is_won,
        case when first_won_at is not null then won_amount else amount end as opportunity_amount,
        case when first_won_at is null then lost_reason end as lost_reason
    from (
        select
            lead_id,
            lead_cycle,
            count(*) as opportunities,
            min(opportunity_id) as opportunity_id,
            min(created_at) as opportunity_created_at,
            min(case when is_won then closed_at end) as first_won_at,
            case when count(*) = count(closed_at) then max(closed_at) end as last_closed_at,
            sum(case when is_won then amount end) as won_amount,
            sum(amount) as amount,
            max(lost_reason) as lost_reason
        from cycle_opportunities
        group by lead_id, lead_cycle
    ) as summed

),

stage_entries as (

    select
        cycles.lead_id,
        cycles.lead_cycle,
        min(case when stage_history.lifecycle_stage = 'mql' then stage_history.entered_at end)
            as became_mql_at,
        min(case when stage_history.lifecycle_stage = 'sql' then stage_history.entered_at end)
            as became_sql_at
    from cycles
    inner join stage_history
        on
            cycles.lead_id = stage_history.lead_id
            and cycles.started_at <= stage_history.entered_at
            and (cycles.ended_at is null or cycles.ended_at > stage_history.entered_at)
    group by cycles.lead_id, cycles.lead_cycle

),

final as (

    select
        {{ text_key(['cycles.lead_id', 'cycles.lead_cycle']) }} as lead_outcome_id,
        cycles.lead_id,
        cycles.lead_cycle,
        leads.source as lead_source,
        cycles.started_at as cycle_started_at,
        cycles.ended_at as cycle_ended_at,
        stage_entries.became_mql_at,
        stage_entries.became_sql_at,
        coalesce(latest_assessment.assessments, 0) as assessments,
        latest_assessment.first_assessed_at,
        latest_assessment.assessed_at as last_assessed_at,
        latest_assessment.verdict,
        latest_assessment.verdict_reason,
        latest_assessment.assessed_by,
        latest_assessment.framework,
        latest_assessment.criteria_met,
        coalesce(latest_assessment.is_sales_qualified, false) as is_sales_qualified,
        coalesce(opportunity_summary.opportunities, 0) as opportunities,
        opportunity_summary.opportunity_id,
        opportunity_summary.opportunity_created_at,
        opportunity_summary.opportunity_closed_at,
        opportunity_summary.opportunity_id is not null as has_opportunity,
        coalesce(opportunity_summary.is_won, false) as is_won,
        coalesce(
            opportunity_summary.opportunity_closed_at is not null
            and not opportunity_summary.is_won,
            false
        ) as is_lost,
        opportunity_summary.opportunity_amount,
        opportunity_summary.lost_reason,
        case
            when opportunity_summary.opportunity_created_at is null
                then latest_assessment.first_assessed_at
            when latest_assessment.first_assessed_at is null
                then opportunity_summary.opportunity_created_at
            else least(
                latest_assessment.first_assessed_at, opportunity_summary.opportunity_created_at
            )
        end as first_sales_touch_at,
        {{ dbt.datediff('cycles.started_at', 'opportunity_summary.opportunity_created_at', 'day') }}
            as days_to_opportunity,
        {{ dbt.datediff(
            'opportunity_summary.opportunity_created_at',
            'opportunity_summary.opportunity_closed_at',
            'day'
        ) }} as sales_cycle_days,
        case
            when coalesce(opportunity_summary.is_won, false) then 'won'
            when opportunity_summary.opportunity_closed_at is not null then 'lost'
            when opportunity_summary.opportunity_id is not null then 'open_opportunity'
            when latest_assessment.verdict = 'accepted' then 'accepted'
            when latest_assessment.verdict = 'rejected' then 'rejected'
            when latest_assessment.verdict = 'recycle' then 'recycled'
            else 'no_sales_action'
        end as outcome
    from cycles
    inner join leads
        on cycles.lead_id = leads.lead_id
    left join cycle_assessments as latest_assessment
        on
            cycles.lead_id = latest_assessment.lead_id
            and cycles.lead_cycle = latest_assessment.lead_cycle
            and latest_assessment.latest_rank = 1
    left join opportunity_summary
        on
            cycles.lead_id = opportunity_summary.lead_id
            and cycles.lead_cycle = opportunity_summary.lead_cycle
    left join stage_entries
        on
            cycles.lead_id = stage_entries.lead_id
            and cycles.lead_cycle = stage_entries.lead_cycle

)

select * from final
