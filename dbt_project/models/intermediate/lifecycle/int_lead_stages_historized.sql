-- Lifecycle stage history: one row per stage a lead was in, with entered_at, exited_at and the
-- reason of the move. The stage is re-evaluated at every moment something happened to the lead
-- (created, score crossed the MQL threshold, assessed by sales, opportunity opened or closed,
-- nurture timeout); consecutive evaluations with the same stage are merged.
--
-- Stage at a moment, first match wins:
--   won / lost   every opportunity of the lead is closed (won if any was won)
--   opportunity  an opportunity is open
--   nurture      sales' latest verdict is rejected or recycle
--   sql          sales' latest assessment qualifies the lead and it has reached MQL
--   mql          the score has reached mql_threshold
--   nurture      nurture_after_days passed without reaching MQL
--   lead         otherwise
with

leads as (

    -- Leads created after the as-of day do not exist yet on that day.
    select * from {{ ref('stg_landing__leads') }}
    where created_at < {{ as_of_end() }}

),

scores as (

    select * from {{ ref('int_lead_scores_evaluated') }}

),

assessments as (

    select * from {{ ref('int_assessments_evaluated') }}

),

opportunities as (

    select * from {{ ref('stg_landing__opportunities') }}

),

mql_reached as (

    select
        lead_id,
        min(evaluated_at) as mql_at
    from scores
    where
        not is_current
        and total_score >= {{ var('mql_threshold') }}
    group by lead_id

),

lead_opportunities as (

    select
        lead_id,
        min(created_at) as opportunity_at,
        case
            when count(*) = count(closed_at) then max(closed_at)
        end as closed_at,
        max(case when is_won then 1 else 0 end) = 1 as is_won
    from (
        select
            lead_id,
            created_at,
            is_won,
            case when closed_at < {{ as_of_end() }} then closed_at end as closed_at
        from opportunities
        where created_at < {{ as_of_end() }}
    ) as known_opportunities
    group by lead_id

),

nurture_timeouts as (

    select
        lead_id,
        {{ dbt.dateadd('day', var('nurture_after_days'), 'created_at') }} as nurture_at
    from leads

),

change_moments as (

    select
        lead_id,
        created_at as changed_at
    from leads
    union
    select
        lead_id,
        mql_at
    from mql_reached
    union
    select
        lead_id,
        assessed_at
    from assessments
    union
    select
        lead_id,
        opportunity_at
    from lead_opportunities
    union
    select
        lead_id,
        closed_at
    from lead_opportunities
    where closed_at is not null
    union
    select
        lead_id,
        nurture_at
    from nurture_timeouts
    where nurture_at < {{ as_of_end() }}

),

latest_assessments as (

    select
        change_moments.lead_id,
        change_moments.changed_at,
        assessments.verdict,
        assessments.framework,
        assessments.criteria_met,
        assessments.criteria_total,
        assessments.is_sales_qualified,
        row_number() over (
            partition by change_moments.lead_id, change_moments.changed_at
            order by assessments.assessed_at desc
        ) as recency_rank
    from change_moments
    inner join assessments
        on
            change_moments.lead_id = assessments.lead_id
            and change_moments.changed_at >= assessments.assessed_at

),

evaluated as (

    select
        change_moments.lead_id,
        change_moments.changed_at,
        case
            when lead_opportunities.closed_at <= change_moments.changed_at
                then case when lead_opportunities.is_won then 'won' else 'lost' end
            when lead_opportunities.opportunity_at <= change_moments.changed_at
                then 'opportunity'
            when latest_assessments.verdict in ('rejected', 'recycle') then 'nurture'
            when
                latest_assessments.is_sales_qualified
                and mql_reached.mql_at <= change_moments.changed_at
                then 'sql'
            when mql_reached.mql_at <= change_moments.changed_at then 'mql'
            when nurture_timeouts.nurture_at <= change_moments.changed_at then 'nurture'
            else 'lead'
        end as lifecycle_stage,
        case
            when lead_opportunities.closed_at <= change_moments.changed_at
                then
                    case
                        when lead_opportunities.is_won then 'opportunity won' else
                            'opportunity lost'
                    end
            when lead_opportunities.opportunity_at <= change_moments.changed_at
                then 'opportunity opened'
            when latest_assessments.verdict in ('rejected', 'recycle')
                then 'sales verdict: ' || latest_assessments.verdict
            when
                latest_assessments.is_sales_qualified
                and mql_reached.mql_at <= change_moments.changed_at
                then
                    'accepted by sales (' || latest_assessments.framework || ' '
                    || cast(latest_assessments.criteria_met as {{ dbt.type_string() }}) || '/'
                    || cast(latest_assessments.criteria_total as {{ dbt.type_string() }})
                    || ' criteria met)'
            when mql_reached.mql_at <= change_moments.changed_at
                then 'score reached {{ var("mql_threshold") }}'
            when nurture_timeouts.nurture_at <= change_moments.changed_at
                then 'no MQL within {{ var("nurture_after_days") }} days'
            else 'lead created'
        end as stage_reason
    from change_moments
    left join mql_reached
        on change_moments.lead_id = mql_reached.lead_id
    left join lead_opportunities
        on change_moments.lead_id = lead_opportunities.lead_id
    left join nurture_timeouts
        on change_moments.lead_id = nurture_timeouts.lead_id
    left join latest_assessments
        on
            change_moments.lead_id = latest_assessments.lead_id
            and change_moments.changed_at = latest_assessments.changed_at
            and latest_assessments.recency_rank = 1

),

with_previous as (

    select
        *,
        lag(lifecycle_stage) over (
            partition by lead_id order by changed_at
        ) as previous_stage
    from evaluated

),

moves as (

    select
        lead_id,
        lifecycle_stage,
        previous_stage,
        stage_reason,
        changed_at as entered_at
    from with_previous
    where previous_stage is null or previous_stage != lifecycle_stage

),

stage_periods as (

    select
        {{ text_key(['lead_id', 'entered_at']) }} as stage_history_id,
        lead_id,
        lifecycle_stage,
        previous_stage,
        stage_reason,
        entered_at,
        lead(entered_at) over (partition by lead_id order by entered_at) as exited_at
    from moves

),

final as (

    select
        *,
        exited_at is null as is_current
    from stage_periods

)

select * from final
