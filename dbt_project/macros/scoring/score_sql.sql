{#- The scoring SQL, written once and used twice: by the daily models (score_ledger,
    lead_score_snapshots, int_lead_activity_daily: every lead on every day, with the live rules)
    and by the model review (every lead cycle on its decision day, with each configuration under
    review). Each macro returns one complete statement; the arguments are relation names (a ref
    or a CTE of the calling model) and a validated scoring configuration. -#}


{#- Timing facts per lead and day from `lead_days` (as_of_date, lead_id, created_date) and the
    `events` before the end of that day. -#}
{% macro activity_facts_sql(lead_days, events) %}
with

activity_dates as (

    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        count(*) as events
    from {{ events }}
    group by lead_id, cast(occurred_at as date)

),

lead_day_activity as (

    select
        lead_days.as_of_date,
        lead_days.lead_id,
        lead_days.created_date,
        activity_dates.activity_date,
        activity_dates.events,
        {{ dbt.datediff('activity_dates.activity_date', 'lead_days.as_of_date', 'day') }}
            as days_ago
    from {{ lead_days }} as lead_days
    left join activity_dates
        on
            lead_days.lead_id = activity_dates.lead_id
            and lead_days.as_of_date >= activity_dates.activity_date

),

facts as (

    select
        as_of_date,
        lead_id,
        created_date,
        max(activity_date) as last_activity_date,
        sum(case when days_ago < 7 then events else 0 end) as events_last_7_days,
        sum(case when days_ago < 30 then events else 0 end) as events_last_30_days,
        sum(case when days_ago < 30 then 1 else 0 end) as active_days_last_30_days
    from lead_day_activity
    group by as_of_date, lead_id, created_date

)

select
    as_of_date,
    lead_id,
    last_activity_date,
    {{ dbt.datediff('last_activity_date', 'as_of_date', 'day') }} as days_since_last_activity,
    events_last_7_days,
    events_last_30_days,
    active_days_last_30_days,
    {{ dbt.datediff('created_date', 'as_of_date', 'day') }} as days_since_created
from facts
{% endmacro %}


{#- The score ledger of `scoring` for the lead-days of `lead_days` (as_of_date, lead_id and the
    timing columns), with the profile columns of `profiles` (one row per lead) and the categorized
    `events` (`profiles_by_day`: one row per lead and profile_date, the day of `lead_days`): per
    lead, day and rule that counted, the raw points, the decay factor and the points
    counted; plus one row per dimension cap or floor applied. -#}
{% macro score_ledger_sql(scoring, lead_days, profiles, events, profiles_by_day=false) %}
{%- set caps = scoring['dimension_caps'] %}
with

profile_facts as (

    select
        lead_days.as_of_date,
        lead_days.days_since_created,
        profiles.*
    from {{ lead_days }} as lead_days
    inner join {{ profiles }} as profiles
        on
            lead_days.lead_id = profiles.lead_id
            {%- if profiles_by_day %}
            and lead_days.as_of_date = profiles.profile_date
            {%- endif %}

),

timing_facts as (

    select * from {{ lead_days }}

),

rule_matches as (

    {#- Profile and timing rules hold or not for a lead on a day: their points, once. #}
    {%- for relation, context in [('profile_facts', 'profile'), ('timing_facts', 'timing')] %}
    {%- for rule in scoring['rules'] if rule.context == context %}
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

    {#- Behavioural rules count the lead's matching events of their window, decayed by age. #}
    {%- for rule in scoring['rules'] if rule.context == 'event' %}
    select
        timing_facts.as_of_date,
        timing_facts.lead_id,
        '{{ rule.id }}' as rule_id,
        count(*) as event_count,
        count(*) * {{ rule.points }} as raw_points,
        sum(
            {{ rule.points }}
            {%- if rule.half_life_days %}
            * power(
                0.5,
                {{ dbt.datediff('matching_events.occurred_at', day_end('timing_facts.as_of_date'), 'second') }}
                / (86400.0 * {{ rule.half_life_days }})
            )
            {%- endif %}
        ) as decayed_points
    from (
        select
            lead_id,
            occurred_at
        from {{ events }}
        where {{ rule.condition }}
    ) as matching_events
    inner join timing_facts
        on
            matching_events.lead_id = timing_facts.lead_id
            and matching_events.occurred_at < {{ day_end('timing_facts.as_of_date') }}
            and matching_events.occurred_at >= {{ dbt.dateadd(
                'day', -rule.lookback_days, day_end('timing_facts.as_of_date')
            ) }}
    group by timing_facts.as_of_date, timing_facts.lead_id
    union all
    {%- endfor %}

    {#- Empty selects keep the union valid whatever the rules. #}
    select
        as_of_date,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        0 as event_count,
        0 as raw_points,
        cast(0 as {{ type_double() }}) as decayed_points
    from timing_facts
    where 1 = 0
    union all
    select
        cast(occurred_at as date) as as_of_date,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        0 as event_count,
        0 as raw_points,
        cast(0 as {{ type_double() }}) as decayed_points
    from {{ events }}
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

)

{%- set ledger_columns = [
    'as_of_date', 'lead_id', 'rule_id', 'dimension', 'entry_type', 'description',
    'lookback_days', 'event_count', 'raw_points', 'decay_factor', 'points_counted'
] %}
select {{ ledger_columns | join(', ') }} from rule_entries
union all
select {{ ledger_columns | join(', ') }} from dimension_adjustments
{% endmacro %}


{#- The scores of `scoring` per lead and day of `lead_days` (with last_activity_date and
    days_since_last_activity) from its `ledger`: four dimensions, the fit grade A-D (demographic +
    firmographic points), the engagement score (behavioural + timing), the combined score and
    whether the lead meets the MQL and SQL score thresholds that day. -#}
{% macro score_summary_sql(scoring, lead_days, ledger) %}
{%- set thresholds = scoring['thresholds'] %}
with

dimension_scores as (

    select
        as_of_date,
        lead_id,
        sum(case when dimension = 'demographic' then points_counted else 0 end)
            as demographic_score,
        sum(case when dimension = 'firmographic' then points_counted else 0 end)
            as firmographic_score,
        sum(case when dimension = 'behavioural' then points_counted else 0 end)
            as behavioural_score,
        sum(case when dimension = 'timing' then points_counted else 0 end)
            as timing_score
    from {{ ledger }}
    group by as_of_date, lead_id

),

scores as (

    select
        lead_days.as_of_date,
        lead_days.lead_id,
        cast(coalesce(dimension_scores.demographic_score, 0) as integer) as demographic_score,
        cast(coalesce(dimension_scores.firmographic_score, 0) as integer) as firmographic_score,
        cast(coalesce(dimension_scores.behavioural_score, 0) as integer) as behavioural_score,
        cast(coalesce(dimension_scores.timing_score, 0) as integer) as timing_score,
        lead_days.last_activity_date,
        lead_days.days_since_last_activity
    from {{ lead_days }} as lead_days
    left join dimension_scores
        on
            lead_days.as_of_date = dimension_scores.as_of_date
            and lead_days.lead_id = dimension_scores.lead_id

),

graded as (

    select
        *,
        demographic_score + firmographic_score as fit_score,
        {{ fit_grade('demographic_score + firmographic_score', scoring['fit_grades']) }}
            as fit_grade,
        behavioural_score + timing_score as engagement_score,
        demographic_score + firmographic_score + behavioural_score + timing_score
            as combined_score
    from scores

)

select
    as_of_date,
    lead_id,
    demographic_score,
    firmographic_score,
    behavioural_score,
    timing_score,
    fit_score,
    fit_grade,
    engagement_score,
    combined_score,
    fit_grade <= '{{ thresholds["mql_min_fit_grade"] }}'
    and combined_score >= {{ thresholds['mql_min_combined_score'] }} as meets_mql_thresholds,
    combined_score >= {{ thresholds['sql_min_combined_score'] }} as meets_sql_threshold,
    last_activity_date,
    days_since_last_activity
from graded
{% endmacro %}


{#- One row per lead with the columns demographic and firmographic rules may name, the custom
    attributes in `attributes` (entity, name, column) as text columns, and the custom attribute
    JSON of the lead and its account. `by_day`: `leads` and `accounts` hold the version of each
    record valid on a day (column profile_date), and so does the result. -#}
{% macro lead_profiles_sql(attributes, leads, accounts, by_day=false) %}
select
    leads.lead_id,
    {%- if by_day %}
    leads.profile_date,
    {%- endif %}
    leads.created_at,
    lower(leads.job_title) as job_title,
    leads.email,
    leads.email_domain,
    leads.source,
    leads.campaign,
    coalesce(accounts.country_code, leads.country_code) as country_code,
    leads.has_marketing_consent,
    leads.is_do_not_contact,
    accounts.industry,
    accounts.employee_count,
    extract(year from {{ as_of_date() }}) - accounts.founded_year as company_age_years,
    accounts.annual_revenue,
    accounts.budget,
    accounts.growth_rate,
    accounts.tech_stack,
    accounts.company_domain,
    leads.custom_attributes_json as lead_custom_attributes_json,
    accounts.custom_attributes_json as account_custom_attributes_json
{%- for attribute in attributes %},
    {{ custom_attribute_value(
        attribute['entity'] ~ 's.custom_attributes_json', "'" ~ attribute['name'] ~ "'"
    ) }} as {{ attribute['column'] }}
    {%- endfor %}
from {{ leads }} as leads
left join {{ accounts }} as accounts
    on
        leads.account_id = accounts.account_id
        {%- if by_day %}
        and leads.profile_date = accounts.profile_date
        {%- endif %}
{% endmacro %}
