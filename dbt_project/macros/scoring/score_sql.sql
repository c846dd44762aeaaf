{#- The scoring SQL, written once and used twice: by the daily models (score_ledger,
    lead_score_snapshots, int_lead_activity_daily: every lead on every day, with the live rules)
    and by the model review (every lead cycle on its decision day, with each configuration under
    review). Each macro returns one complete statement; the arguments are relation names (a ref
    or a CTE of the calling model) and a validated scoring configuration. -#}


{#- Whether an event is activity, the lead's own engagement: not one of var
    non_activity_event_types (a bounce, an unsubscribe). -#}
{% macro is_activity_event(event_type) -%}
    {{ event_type }} not in ('{{ var("non_activity_event_types") | join("', '") }}')
{%- endmacro %}

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
    where {{ is_activity_event('event_type') }}
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
    timing columns), with the profile columns of `profiles` (one row per lead;
    `profiles_by_day`: one row per lead and profile_date, the day of `lead_days`) and the
    behavioural rule matches of `rule_activity` (event_rule_activity_sql of the same `scoring`):
    per lead, day and rule that counted, the raw points, the decay factor and the points
    counted; plus one row per dimension cap or floor applied. -#}
{% macro score_ledger_sql(scoring, lead_days, profiles, rule_activity, profiles_by_day=false) %}
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

    {#- Profile and timing rules hold or not for a lead on a day: their points, once. A profile
        rule that does not name the day is tested once per lead (one profile for every day). #}
    {%- for relation, context in [('profile_facts', 'profile'), ('timing_facts', 'timing')] %}
    {%- for rule in scoring['rules'] if rule.context == context %}
    {%- set per_lead = context == 'profile' and not profiles_by_day
        and 'days_since_created' not in rule.condition %}
    select
        {%- if per_lead %}
        lead_days.as_of_date,
        lead_days.lead_id,
        {%- else %}
        as_of_date,
        lead_id,
        {%- endif %}
        '{{ rule.id }}' as rule_id,
        1 as event_count,
        {{ rule.points }} as raw_points,
        cast({{ rule.points }} as {{ type_double() }}) as decayed_points
    {%- if per_lead %}
    from {{ lead_days }} as lead_days
    inner join (
        select lead_id from {{ profiles }}
        where {{ rule.condition }}
    ) as matching_profiles
        on lead_days.lead_id = matching_profiles.lead_id
    {%- else %}
    from {{ relation }}
    where {{ rule.condition }}
    {%- endif %}
    union all
    {%- endfor %}
    {%- endfor %}

    {#- Behavioural rules count the lead's matching events of their window, decayed by age. #}
    select
        lead_days.as_of_date,
        lead_days.lead_id,
        rule_days.rule_id,
        rule_days.event_count,
        rule_days.raw_points,
        rule_days.decayed_points
    from (
        select
            as_of_date,
            lead_id,
            rule_id,
            sum(event_count) as event_count,
            sum(event_count) * max(points) as raw_points,
            sum(decayed_points) as decayed_points
        from ({{ event_rule_days_sql(lead_days, rule_activity) }}) as event_days
        group by as_of_date, lead_id, rule_id
    ) as rule_days
    inner join {{ lead_days }} as lead_days
        on
            rule_days.lead_id = lead_days.lead_id
            and rule_days.as_of_date = lead_days.as_of_date
    union all

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
        activity_date as as_of_date,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        0 as event_count,
        0 as raw_points,
        cast(0 as {{ type_double() }}) as decayed_points
    from {{ rule_activity }}
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
            else {{ round_half_away('rule_matches.decayed_points / rule_matches.raw_points', 4) }}
        end as decay_factor,
        cast({{ round_half_away(
            'case
                when rules.rule_cap is null then rule_matches.decayed_points
                when rule_matches.decayed_points < 0
                    then greatest(rule_matches.decayed_points, -rules.rule_cap)
                else least(rule_matches.decayed_points, rules.rule_cap)
            end'
        ) }} as integer) as points_counted
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

{#- Behavioural rules of `scoring` per lead, day and rule, from the categorized `events`: the
    matching events (event_count), the rule's points and half-life, the sum of each event's decay
    to the end of its own day (decayed_events; one per event without a half-life) and the first
    day the events no longer count (counts_until_date: the day plus lookback_days). An event
    counts on the days up to the end of its lookback (occurred_at + lookback_days >= the day's
    end, which is the same as activity_date + lookback_days > as_of_date), so a score day reads
    one row per lead, rule and active day instead of every event. `until`: only events before
    this moment. Each rule scans `events` with its condition: pass a table, not a CTE that
    selects every column, which DuckDB would materialize whole (at 2,000,000 leads it ran out of
    2 GB). -#}
{% macro event_rule_activity_sql(scoring, events, until=none) %}
select
    lead_id,
    activity_date,
    rule_id,
    points,
    half_life_days,
    counts_until_date,
    count(*) as event_count,
    sum(decayed_to_day_end) as decayed_events
from (
    {%- for rule in scoring['rules'] if rule.context == 'event' %}
    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        '{{ rule.id }}' as rule_id,
        {{ rule.points }} as points,
        cast({{ rule.half_life_days or 'null' }} as {{ type_double() }}) as half_life_days,
        cast({{ dbt.dateadd('day', rule.lookback_days, 'cast(occurred_at as date)') }} as date)
            as counts_until_date,
        {%- if rule.half_life_days %}
        power(
            0.5,
            {{ dbt.datediff('occurred_at', day_end('cast(occurred_at as date)'), 'second') }}
            / (86400.0 * {{ rule.half_life_days }})
        )
        {%- else %}
        cast(1.0 as {{ type_double() }})
        {%- endif %} as decayed_to_day_end
    from {{ events }}
    where
        ({{ rule.condition }})
        {%- if until is not none %}
        and occurred_at < {{ until }}
        {%- endif %}
    union all
    {%- endfor %}
    {#- An empty select keeps the union valid whatever the rules. #}
    select
        lead_id,
        cast(occurred_at as date) as activity_date,
        cast(null as {{ dbt.type_string() }}) as rule_id,
        0 as points,
        cast(null as {{ type_double() }}) as half_life_days,
        cast(occurred_at as date) as counts_until_date,
        cast(0 as {{ type_double() }}) as decayed_to_day_end
    from {{ events }}
    where 1 = 0
) as matching_events
group by lead_id, activity_date, rule_id, points, half_life_days, counts_until_date
{% endmacro %}

{#- Behavioural rule matches (`rule_activity`, from event_rule_activity_sql) on the days of
    `lead_days`: per day, lead, rule and active day whose events still count that day, the events,
    the rule's points and the points decayed by age (a further half per half_life_days whole days
    after their own day). Matched to the distinct days (a range join on a handful of days, not a
    join on every lead-day); callers aggregate and keep the lead-days that exist. -#}
{% macro event_rule_days_sql(lead_days, rule_activity) %}
select
    score_days.as_of_date,
    rule_activity.lead_id,
    rule_activity.rule_id,
    rule_activity.event_count,
    rule_activity.points,
    rule_activity.points * rule_activity.decayed_events * coalesce(power(
        0.5,
        {{ dbt.datediff('rule_activity.activity_date', 'score_days.as_of_date', 'day') }}
        / rule_activity.half_life_days
    ), 1.0) as decayed_points
from {{ rule_activity }} as rule_activity
inner join (select distinct as_of_date from {{ lead_days }}) as score_days
    on
        rule_activity.activity_date <= score_days.as_of_date
        and rule_activity.counts_until_date > score_days.as_of_date
{% endmacro %}

{#- The four dimension scores per lead and day of `lead_days`, capped and floored as in the
    score ledger but without a ledger row per rule: profile and timing rules are summed as one
    expression per row (profile rules once per lead unless a condition names
    days_since_created); behavioural rules per lead, day and rule, for their per-rule caps.
    Columns as_of_date, lead_id, demographic_score, firmographic_score, behavioural_score,
    timing_score: what score_summary_sql reads as `dimension_scores`. The dbt test
    assert_score_ledger_sums_to_the_score holds it to the ledger. -#}
{% macro dimension_scores_sql(scoring, lead_days, profiles, rule_activity) %}
{%- set caps = scoring['dimension_caps'] %}
{%- set dimensions = ['demographic', 'firmographic', 'behavioural', 'timing'] %}
{%- set contexts = {
    'profile': scoring['rules'] | selectattr('context', 'equalto', 'profile') | list,
    'timing': scoring['rules'] | selectattr('context', 'equalto', 'timing') | list,
    'event': scoring['rules'] | selectattr('context', 'equalto', 'event') | list,
} %}
{%- set per_day = [] %}
{%- for rule in contexts['profile'] if 'days_since_created' in rule.condition %}
    {%- do per_day.append(rule.id) %}
{%- endfor %}
with

profile_points as (

    select
        {%- if per_day %}
        lead_days.as_of_date,
        {%- endif %}
        profiles.lead_id
        {{- dimension_sums(contexts['profile'], dimensions) }}
    from {{ profiles }} as profiles
    {%- if per_day %}
    inner join (
        select
            as_of_date,
            lead_id,
            days_since_created
        from {{ lead_days }}
    ) as lead_days
        on profiles.lead_id = lead_days.lead_id
    {%- endif %}

),

event_points as (

    {#- One row per lead and day with each behavioural rule's decayed points as a column (null:
        no matching event), so the per-rule caps need no row per rule. #}
    select
        as_of_date,
        lead_id
        {%- for rule in contexts['event'] %},
        sum(case when rule_id = '{{ rule.id }}' then decayed_points end) as rule__{{ rule.id }}
        {%- endfor %}
    from ({{ event_rule_days_sql(lead_days, rule_activity) }}) as event_days
    group by as_of_date, lead_id

),

totals as (

    select
        lead_days.as_of_date,
        lead_days.lead_id
        {%- for dimension in dimensions %},
        coalesce(profile_points.{{ dimension }}_points, 0)
        + lead_days.timing_{{ dimension }}_points
        {%- for rule in contexts['event'] if rule.dimension == dimension %}
        {%- set decayed = 'event_points.rule__' ~ rule.id %}
        {#- least/greatest skip nulls: a rule without events must count 0, not its cap. #}
        {%- set capped -%}
            {%- if rule.cap is none -%}
                {{ decayed }}
            {%- else -%}
                case
                    when {{ decayed }} < 0 then greatest({{ decayed }}, -{{ rule.cap }})
                    else least({{ decayed }}, {{ rule.cap }})
                end
            {%- endif -%}
        {%- endset %}
        + case
            when {{ decayed }} is null then 0
            else cast({{ round_half_away(capped) }} as integer)
        end
        {%- endfor %} as {{ dimension }}_points,
        coalesce(profile_points.{{ dimension }}_allows_negative_total, false)
        or lead_days.timing_{{ dimension }}_allows_negative_total
        {%- for rule in contexts['event'] if rule.dimension == dimension and rule.allow_negative_total %}
        or event_points.rule__{{ rule.id }} is not null
        {%- endfor %} as {{ dimension }}_allows_negative_total
        {%- endfor %}
    from (
        select
            as_of_date,
            lead_id
            {{- dimension_sums(contexts['timing'], dimensions, 'timing_') }}
        from {{ lead_days }}
    ) as lead_days
    left join profile_points
        on
            lead_days.lead_id = profile_points.lead_id
            {%- if per_day %}
            and lead_days.as_of_date = profile_points.as_of_date
            {%- endif %}
    left join event_points
        on
            lead_days.lead_id = event_points.lead_id
            and lead_days.as_of_date = event_points.as_of_date

)

select
    as_of_date,
    lead_id
    {%- for dimension in dimensions %},
    case
        when {{ dimension }}_points < 0 and not {{ dimension }}_allows_negative_total then 0
        {%- if caps.get(dimension) is not none %}
        when {{ dimension }}_points > {{ caps[dimension] }} then {{ caps[dimension] }}
        {%- endif %}
        else {{ dimension }}_points
    end as {{ dimension }}_score
    {%- endfor %}
from totals
{% endmacro %}


{#- Per dimension, the points of `rules` that hold on the row and whether one that holds allows a
    negative total: columns <prefix><dimension>_points and <prefix><dimension>_allows_negative_total,
    each with a leading comma. -#}
{% macro dimension_sums(rules, dimensions, prefix='') -%}
    {%- for dimension in dimensions %},
        0
        {%- for rule in rules if rule.dimension == dimension %}
        + case when {{ rule.condition }} then {{ rule.points }} else 0 end
        {%- endfor %} as {{ prefix }}{{ dimension }}_points,
        false
        {%- for rule in rules if rule.dimension == dimension and rule.allow_negative_total %}
        or coalesce({{ rule.condition }}, false)
        {%- endfor %} as {{ prefix }}{{ dimension }}_allows_negative_total
    {%- endfor %}
{%- endmacro %}




{#- The scores of `scoring` per lead and day of `lead_days` (with last_activity_date and
    days_since_last_activity) from its `ledger`: four dimensions, the fit grade A-D (demographic +
    firmographic points), the engagement score (behavioural + timing), the combined score and
    whether the lead meets the MQL and SQL score thresholds that day. -#}
{% macro score_summary_sql(scoring, lead_days, ledger=none, dimension_scores=none) %}
{%- set thresholds = scoring['thresholds'] %}
with

dimension_scores as (

    {%- if dimension_scores %}
    select * from {{ dimension_scores }}
    {%- else %}
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
    {%- endif %}

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
    {%- if by_day %}
    extract(year from leads.profile_date) - accounts.founded_year as company_age_years,
    {%- else %}
    extract(year from {{ as_of_date() }}) - accounts.founded_year as company_age_years,
    {%- endif %}
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
