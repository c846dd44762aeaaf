-- The score of every reviewed lead cycle on its decision day under every configuration under
-- review, next to what happened: one row per configuration and lead cycle.
{%- set configs = review_configs() %}

with

decisions as (

    select * from {{ ref('review_decisions') }}

),

decision_facts as (

    select * from {{ ref('review_decision_facts') }}

),

ledger as (

    select * from {{ ref('review_score_ledger') }}

),

{% for config in configs %}
ledger_{{ loop.index }} as (

    select * from ledger
    where scoring_config = '{{ config["name"] }}'

),

scores_{{ loop.index }} as (

    {{ score_summary_sql(config['scoring'], 'decision_facts', 'ledger_' ~ loop.index) }}

),

{% endfor %}
scores as (

    {%- for config in configs %}
    select
        '{{ config["name"] }}' as scoring_config,
        scores_{{ loop.index }}.*
    from scores_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        scores.scoring_config,
        decisions.lead_outcome_id,
        decisions.lead_id,
        decisions.lead_cycle,
        decisions.split,
        decisions.decision_date,
        cast({{ dbt.date_trunc('week', 'decisions.decision_date') }} as date) as decision_week,
        scores.demographic_score,
        scores.firmographic_score,
        scores.behavioural_score,
        scores.timing_score,
        scores.fit_score,
        scores.fit_grade,
        scores.engagement_score,
        scores.combined_score,
        scores.meets_mql_thresholds,
        scores.meets_sql_threshold,
        decisions.was_assessed,
        decisions.is_sales_qualified,
        decisions.has_opportunity,
        decisions.is_won,
        decisions.is_converted
    from decisions
    inner join scores
        on
            decisions.lead_id = scores.lead_id
            and decisions.decision_date = scores.as_of_date

)

select * from final
