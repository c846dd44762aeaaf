-- Per lead and day with events up to the as-of day, the number of events: what the daily
-- activity facts count. Aggregated once per run, so that each batch of days of
-- int_lead_activity_daily reads these rows instead of aggregating every event again.
-- Incremental by load (macros/incremental_by_load.sql): a run recomputes the lead-days with
-- events categorized since its previous run and the days after its latest day.
{{ config(
    materialized=row_replacing_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_lead_days_to_recompute(ref('int_events_categorized')) }}"
) }}
{%- set state = lead_day_state(ref('int_events_categorized')) %}

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
        {{ run_started_timestamp() }} as computed_at
    from events
    where occurred_at < {{ as_of_end() }}
    group by lead_id, cast(occurred_at as date)

)

select * from final
