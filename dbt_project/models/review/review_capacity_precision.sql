-- Precision at sales capacity, per configuration, split and week of decision: if sales worked
-- only the best-scored N cycles of each week, how many of those would have converted. N is
-- weekly_sales_capacity, or by default the cycles sales assessed per week on average (in the
-- split). random_precision is the week's conversion rate: what N cycles picked blindly give.
{%- set capacity = review_settings()['weekly_sales_capacity'] %}

with

scored as (

    select * from {{ ref('review_scores_by_split') }}

),

capacities as (

    select
        scoring_config,
        split_name,
        coalesce(
            {{ capacity or 'null' }},
            greatest(
                cast(round(
                    cast(sum(case when was_assessed then 1 else 0 end) as {{ type_double() }})
                    / count(distinct decision_week)
                ) as integer),
                1
            )
        ) as weekly_capacity
    from scored
    group by scoring_config, split_name

),

ranked as (

    select
        scored.scoring_config,
        scored.split_name,
        scored.decision_week,
        scored.is_converted,
        capacities.weekly_capacity,
        row_number() over (
            partition by scored.scoring_config, scored.split_name, scored.decision_week
            order by scored.combined_score desc, scored.lead_outcome_id asc
        ) as week_rank
    from scored
    inner join capacities
        on
            scored.scoring_config = capacities.scoring_config
            and scored.split_name = capacities.split_name

),

final as (

    select
        scoring_config,
        split_name,
        decision_week,
        max(weekly_capacity) as weekly_capacity,
        count(*) as cycles,
        sum(case when week_rank <= weekly_capacity then 1 else 0 end) as worked,
        sum(case when week_rank <= weekly_capacity and is_converted then 1 else 0 end)
            as worked_converted,
        {{ safe_rate(
            'sum(case when week_rank <= weekly_capacity and is_converted then 1 else 0 end)',
            'sum(case when week_rank <= weekly_capacity then 1 else 0 end)'
        ) }} as precision_at_capacity,
        {{ safe_rate('sum(case when is_converted then 1 else 0 end)', 'count(*)') }}
            as random_precision
    from ranked
    group by scoring_config, split_name, decision_week

)

select * from final
