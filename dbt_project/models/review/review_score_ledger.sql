-- The score ledger of every configuration under review (the live rules, a calibrated candidate,
-- any rules file named to `leadqual review`) for every reviewed lead cycle on its decision day:
-- the same SQL as the daily score_ledger, on the facts and the profile of that day.
{%- set configs = review_configs() %}

with

decision_facts as (

    select * from {{ ref('review_decision_facts') }}

),

profiles as (

    select * from {{ ref('review_lead_profiles') }}

),

{% for config in configs %}
rule_activity_{{ loop.index }} as (

    {#- The events table itself, not a CTE of it (see event_rule_activity_sql). #}
    {{ event_rule_activity_sql(config['scoring'], ref('int_events_categorized')) }}

),

ledger_{{ loop.index }} as (

    {{ score_ledger_sql(
        config['scoring'],
        'decision_facts',
        'profiles',
        'rule_activity_' ~ loop.index,
        profiles_by_day=true
    ) }}

),

{% endfor %}
final as (

    {%- for config in configs %}
    select
        '{{ config["name"] }}' as scoring_config,
        ledger_{{ loop.index }}.*
    from ledger_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
