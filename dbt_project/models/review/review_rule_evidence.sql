-- What the outcomes say about each live rule, on the training cycles: how many cycles the rule
-- counted for on their decision day and how many of those converted, against the cycles it did
-- not count for; the smoothed log-odds ratio between the two, and the points it suggests. A rule
-- needs min_support cycles on each side to be calibrated. units: the rule's points counted per
-- point of its weight, on average where it counted (several decayed events, caps), so that the
-- suggested weight gives the rule's average contribution the size of its evidence.
{%- set settings = review_settings()['calibration'] %}

with

scores as (

    select * from {{ ref('review_scores') }}
    where scoring_config = 'live' and split = 'training'

),

ledger as (

    select * from {{ ref('review_score_ledger') }}
    where scoring_config = 'live' and entry_type = 'rule'

),

rules as (

    {%- for rule in scoring_config()['rules'] %}
    select
        '{{ rule.id }}' as rule_id,
        '{{ rule.dimension }}' as dimension,
        '{{ rule.context }}' as rule_context,
        {{ rule.points }} as points
    union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_string() }}) as dimension,
        cast(null as {{ dbt.type_string() }}) as rule_context,
        0 as points
    where 1 = 0

),

overall as (

    select
        count(*) as cycles,
        sum(case when is_converted then 1 else 0 end) as converted,
        {{ safe_rate('sum(case when is_converted then 1 else 0 end)', 'count(*)') }}
            as conversion_rate
    from scores

),

rule_hits as (

    select
        ledger.rule_id,
        count(*) as cycles,
        sum(case when scores.is_converted then 1 else 0 end) as converted,
        -- A rule worth 0 points has no units to scale (null, not NaN: NaN > 0 is true).
        avg(cast(ledger.points_counted as {{ type_double() }}) / nullif(rules.points, 0))
            as units
    from scores
    inner join ledger
        on
            scores.lead_id = ledger.lead_id
            and scores.decision_date = ledger.as_of_date
    inner join rules
        on ledger.rule_id = rules.rule_id
    group by ledger.rule_id

),

counted as (

    select
        rules.rule_id,
        rules.dimension,
        rules.rule_context,
        rules.points,
        coalesce(rule_hits.cycles, 0) as cycles_with,
        coalesce(rule_hits.converted, 0) as converted_with,
        overall.cycles - coalesce(rule_hits.cycles, 0) as cycles_without,
        overall.converted - coalesce(rule_hits.converted, 0) as converted_without,
        overall.conversion_rate,
        coalesce(rule_hits.units, 0) as units
    from rules
    cross join overall
    left join rule_hits
        on rules.rule_id = rule_hits.rule_id

),

evidence as (

    select
        *,
        {{ safe_rate('converted_with', 'cycles_with') }} as conversion_rate_with,
        {{ safe_rate('converted_without', 'cycles_without') }} as conversion_rate_without,
        {{ logit(smoothed_rate(
            'converted_with', 'cycles_with', 'conversion_rate', settings['smoothing_cycles']
        )) }}
        - {{ logit(smoothed_rate(
            'converted_without', 'cycles_without', 'conversion_rate',
            settings['smoothing_cycles']
        )) }} as log_odds_ratio,
        cycles_with >= {{ settings['min_support'] }}
        and cycles_without >= {{ settings['min_support'] }} as is_supported
    from counted

),

final as (

    select
        rule_id,
        dimension,
        rule_context,
        points,
        cycles_with,
        converted_with,
        conversion_rate_with,
        cycles_without,
        converted_without,
        conversion_rate_without,
        round(units, 4) as units,
        round(log_odds_ratio, 4) as log_odds_ratio,
        is_supported,
        case
            when is_supported and units > 0
                then cast(round(
                    {{ settings['points_per_log_odds'] }} * log_odds_ratio / units
                ) as integer)
        end as suggested_points
    from evidence

)

select * from final
