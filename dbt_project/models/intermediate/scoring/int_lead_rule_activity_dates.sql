-- Per lead, behavioural rule and day with matching events up to the as-of day: the events, the
-- rule's points and half-life, their decay to the end of that day and the first day they no
-- longer count (event_rule_activity_sql). Aggregated once per run, so that each batch of days
-- of lead_score_snapshots and score_ledger reads these rows instead of matching every event of
-- the lookback windows to the rules again.
-- Incremental by load (macros/incremental_by_load.sql): a run recomputes the lead-days with
-- events categorized since its previous run and the days after its latest day; rows computed
-- from other behavioural rules than the live ones (config_fingerprint) are all recomputed, so a
-- changed rule never meets matches of its old condition.
-- A full build gives the events table to the macro directly, not through an import CTE: each
-- rule scans it with its own condition, while a CTE of every event and column read by twelve
-- rules is materialized whole (at 2,000,000 leads that ran out of DuckDB's 2 GB). The events of
-- the lead-days a later run recomputes are few.
{{ config(
    materialized=row_replacing_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_lead_days_to_recompute(
        ref('int_events_categorized'), event_rules_fingerprint()
    ) }}"
) }}
{%- set state = lead_day_state(ref('int_events_categorized'), event_rules_fingerprint()) %}
{%- set recompute_all = state is none or state.recompute_all %}

with

{%- if not recompute_all %}

events_to_recompute as (

    {{ events_to_recompute(ref('int_events_categorized'), state) }}

),

{%- endif %}

rule_activity as (

    {{ event_rule_activity_sql(
        scoring_config(),
        ref('int_events_categorized') if recompute_all else 'events_to_recompute',
        until=as_of_end()
    ) }}

),

final as (

    select
        *,
        '{{ event_rules_fingerprint() }}' as config_fingerprint,
        {{ run_started_timestamp() }} as computed_at
    from rule_activity

)

select * from final
