-- Per lead and day with activity up to the as-of day, the number of events: what the daily
-- activity facts count. Activity is the lead's own engagement: every event but those of var
-- non_activity_event_types (a bounce, an unsubscribe). Aggregated once per run, so that each
-- batch of days of int_lead_activity_daily reads these rows instead of aggregating every event
-- again.
-- Incremental by load (macros/incremental_by_load.sql): a run recomputes the lead-days with
-- events categorized since its previous run and the days after its latest day; rows computed
-- with another list of non-activity events (config_fingerprint) are all recomputed.
{{ config(
    materialized=row_replacing_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_lead_days_to_recompute(
        ref('int_events_categorized'), activity_events_fingerprint()
    ) }}"
) }}
{%- set state = lead_day_state(ref('int_events_categorized'), activity_events_fingerprint()) %}

with

events as (

    {%- if state is none or state.recompute_all %}
    select * from {{ ref('int_events_categorized') }}
    {%- else %}
    {{ events_to_recompute(ref('int_events_categorized'), state) }}
    {%- endif %}

),

final as (

    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        count(*) as events,
        '{{ activity_events_fingerprint() }}' as config_fingerprint,
        {{ run_started_timestamp() }} as computed_at
    from events
    where
        occurred_at < {{ as_of_end() }}
        and {{ is_activity_event('event_type') }}
    group by lead_id, cast(occurred_at as date)

)

select * from final
