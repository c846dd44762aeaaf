-- Per lead, behavioural rule and day with matching events up to the as-of day: the events, the
-- rule's points and half-life, their decay to the end of that day and the first day they no
-- longer count (event_rule_activity_sql). Aggregated once per run, so that each batch of days
-- of lead_score_snapshots and score_ledger reads these rows instead of matching every event of
-- the lookback windows to the rules again. Rebuilt on every run from the live rules, so a
-- changed rule never meets matches of its old condition.
-- The events table goes to the macro directly, not through an import CTE: each rule scans it
-- with its own condition, while a CTE of every event and column read by twelve rules is
-- materialized whole (at 2,000,000 leads that ran out of DuckDB's 2 GB).
with

rule_activity as (

    {{ event_rule_activity_sql(
        scoring_config(), ref('int_events_categorized'), until=as_of_end()
    ) }}

),

final as (

    select * from rule_activity

)

select * from final
