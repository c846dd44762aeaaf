-- The lead score evaluated at every event of the lead (is_current = false) and at the end of the
-- as-of day (is_current = true, one row per lead). Both use the same definition, so the score at
-- which a lead crossed the MQL threshold and its score today are comparable:
--   behavioural: points of the events in the look-back window, floored at 0, capped;
--   timing: recency of the last activity and frequency of events in the last 30 days;
--   demographic and firmographic: from int_leads_fit_scored.
{%- set timing = var('timing_points') %}

with

events as (

    select * from {{ ref('int_events_scored') }}

),

leads_fit as (

    select * from {{ ref('int_leads_fit_scored') }}

),

evaluation_points as (

    select
        lead_id,
        occurred_at as evaluated_at,
        cast(occurred_at as date) as evaluated_on,
        behavioural_points,
        1 as event_count,
        false as is_current
    from events

    union all

    select
        lead_id,
        {{ as_of_end() }} as evaluated_at,
        {{ as_of_date() }} as evaluated_on,
        0 as behavioural_points,
        0 as event_count,
        true as is_current
    from leads_fit

),

windowed as (

    select
        *,
        sum(behavioural_points) over (
            partition by lead_id
            order by evaluated_at
            range between interval '{{ var("behavioural_lookback_days") }} days' preceding
            and current row
        ) as behavioural_points_in_window,
        sum(event_count) over (
            partition by lead_id
            order by evaluated_at
            range between interval '30 days' preceding and current row
        ) as events_last_30_days,
        max(case when event_count = 1 then evaluated_at end) over (
            partition by lead_id
            order by evaluated_at
            rows between unbounded preceding and current row
        ) as last_activity_at
    from evaluation_points

),

with_recency as (

    select
        *,
        {{ dbt.datediff('cast(last_activity_at as date)', 'evaluated_on', 'day') }}
            as days_since_last_activity
    from windowed

),

components as (

    select
        with_recency.lead_id,
        with_recency.evaluated_at,
        with_recency.evaluated_on,
        with_recency.is_current,
        with_recency.last_activity_at,
        with_recency.days_since_last_activity,
        with_recency.events_last_30_days,
        leads_fit.demographic_score,
        leads_fit.firmographic_score,
        least(
            greatest(with_recency.behavioural_points_in_window, 0),
            {{ var('behavioural_cap') }}
        ) as behavioural_score,
        case
            when with_recency.days_since_last_activity < 7
                then {{ timing['active_last_7_days'] }}
            when with_recency.days_since_last_activity < 30
                then {{ timing['active_last_30_days'] }}
            else 0
        end
        + case
            when with_recency.events_last_30_days >= {{ var('frequent_event_count') }}
                then {{ timing['frequent_last_30_days'] }}
            else 0
        end as timing_score
    from with_recency
    inner join leads_fit
        on with_recency.lead_id = leads_fit.lead_id

),

final as (

    select
        *,
        demographic_score + firmographic_score + behavioural_score + timing_score as total_score
    from components

)

select * from final
