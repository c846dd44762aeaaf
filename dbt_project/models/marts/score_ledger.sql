-- The score ledger: per as-of day, lead and rule that counted, the raw points, the decay factor
-- and the points counted; plus one row per dimension cap or floor applied. The ledger of a lead
-- and day sums to its score (lead_score_snapshots), rule by rule. Rules come from
-- scoring/rules.yml; conditions are validated SQL over the columns of their context.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='as_of_date'
) }}
{%- set scoring = scoring_config() %}
{%- set profile_rules = scoring_rules('profile') %}
{%- set event_rules = scoring_rules('event') %}
{%- set timing_rules = scoring_rules('timing') %}
{%- set caps = scoring['dimension_caps'] %}

with

lead_activity as (

    select * from {{ ref('int_lead_activity_daily') }}

),

profiles as (

    select * from {{ ref('int_lead_profiles') }}

),

events as (

    select * from {{ ref('int_events_categorized') }}

),

build_days as (

    {{ score_days() }}

),

lead_days as (

    select lead_activity.*
    from lead_activity
    inner join build_days
        on lead_activity.as_of_date = build_days.as_of_date

),

profile_facts as (

    select
        lead_days.as_of_date,
        lead_days.days_since_created,
        profiles.*
    from lead_days
    inner join profiles
        on lead_days.lead_id = profiles.lead_id

),

rule_matches as (

    {#- Profile and timing rules hold or not for a lead on a day: their points, once. #}
    {%- for relation, rules in [('profile_facts', profile_rules), ('lead_days', timing_rules)] %}
    {%- for rule in rules %}
    select
        as_of_date,
        lead_id,
        '{{ rule.id }}' as rule_id,
        1 as event_count,
        {{ rule.points }} as raw_points,
        cast({{ rule.points }} as {{ type_double() }}) as decayed_points
    from {{ relation }}
    where {{ rule.condition }}
    union all
    {%- endfor %}
    {%- endfor %}

    {#- Behavioural rules count the matching events of their window, decayed by age. #}
    {%- for rule in event_rules %}
    select
        build_days.as_of_date,
        events.lead_id,
        '{{ rule.id }}' as rule_id,
        count(*) as event_count,
        count(*) * {{ rule.points }} as raw_points,
        sum(
            {{ rule.points }}
            {%- if rule.half_life_days %}
            * power(
                0.5,
                {{ dbt.datediff('events.occurred_at', day_end('build_days.as_of_date'), 'second') }}
                / (86400.0 * {{ rule.half_life_days }})
            )
            {%- endif %}
        ) as decayed_points
    from events
    inner join build_days
        on
            events.occurred_at < {{ day_end('build_days.as_of_date') }}
            and events.occurred_at >= {{ dbt.dateadd(
                'day', -rule.lookback_days, day_end('build_days.as_of_date')
            ) }}
    where {{ rule.condition }}
    group by build_days.as_of_date, events.lead_id
    union all
    {%- endfor %}

    {#- One empty select per context keeps the union valid whatever the rules. #}
    select
        as_of_date,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        0 as event_count,
        0 as raw_points,
        cast(0 as {{ type_double() }}) as decayed_points
    from profile_facts
    where 1 = 0
    union all
    select
        cast(occurred_at as date) as as_of_date,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        0 as event_count,
        0 as raw_points,
        cast(0 as {{ type_double() }}) as decayed_points
    from events
    where 1 = 0

),

rules as (

    {%- for rule in scoring['rules'] %}
    select
        '{{ rule.id }}' as rule_id,
        '{{ rule.dimension }}' as dimension,
        '{{ rule.description | replace("'", "''") }}' as description,
        {{ rule.lookback_days if rule.lookback_days is not none else 'null' }} as lookback_days,
        {{ rule.cap if rule.cap is not none else 'null' }} as rule_cap,
        {{ 'true' if rule.allow_negative_total else 'false' }} as allows_negative_total
    union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_string() }}) as dimension,
        cast(null as {{ dbt.type_string() }}) as description,
        cast(null as integer) as lookback_days,
        cast(null as integer) as rule_cap,
        false as allows_negative_total
    where 1 = 0

),

rule_entries as (

    select
        rule_matches.as_of_date,
        rule_matches.lead_id,
        rule_matches.rule_id,
        rules.dimension,
        'rule' as entry_type,
        rules.description,
        rules.lookback_days,
        rules.allows_negative_total,
        rule_matches.event_count,
        rule_matches.raw_points,
        case
            when rule_matches.raw_points = 0 then 1.0
            else round(rule_matches.decayed_points / rule_matches.raw_points, 4)
        end as decay_factor,
        cast(round(
            case
                when rules.rule_cap is null then rule_matches.decayed_points
                when rule_matches.decayed_points < 0
                    then greatest(rule_matches.decayed_points, -rules.rule_cap)
                else least(rule_matches.decayed_points, rules.rule_cap)
            end
        ) as integer) as points_counted
    from rule_matches
    inner join rules
        on rule_matches.rule_id = rules.rule_id

),

dimension_totals as (

    select
        as_of_date,
        lead_id,
        dimension,
        sum(points_counted) as points,
        max(case when allows_negative_total then 1 else 0 end) as allows_negative_total
    from rule_entries
    group by as_of_date, lead_id, dimension

),

dimension_adjustments as (

    select
        as_of_date,
        lead_id,
        dimension || '_floor' as rule_id,
        dimension,
        'floor' as entry_type,
        'No ' || dimension || ' score below zero' as description,
        cast(null as integer) as lookback_days,
        false as allows_negative_total,
        0 as event_count,
        0 as raw_points,
        1.0 as decay_factor,
        -points as points_counted
    from dimension_totals
    where points < 0 and allows_negative_total = 0

    union all

    select
        as_of_date,
        lead_id,
        dimension || '_cap' as rule_id,
        dimension,
        'cap' as entry_type,
        'The ' || dimension || ' score is capped at '
        || cast(dimension_cap as {{ dbt.type_string() }}) as description,
        cast(null as integer) as lookback_days,
        false as allows_negative_total,
        0 as event_count,
        0 as raw_points,
        1.0 as decay_factor,
        dimension_cap - points as points_counted
    from (
        select
            *,
            case
                when dimension is null then null
                {%- for dimension, cap in caps.items() if cap is not none %}
                when dimension = '{{ dimension }}' then {{ cap }}
                {%- endfor %}
            end as dimension_cap
        from dimension_totals
    ) as capped
    where points > dimension_cap

),

final as (

    {%- set ledger_columns = [
        'as_of_date', 'lead_id', 'rule_id', 'dimension', 'entry_type', 'description',
        'lookback_days', 'event_count', 'raw_points', 'decay_factor', 'points_counted'
    ] %}
    select {{ ledger_columns | join(', ') }} from rule_entries
    union all
    select {{ ledger_columns | join(', ') }} from dimension_adjustments

)

select * from final
