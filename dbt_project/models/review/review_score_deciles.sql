-- Conversion by score decile, per configuration and split: the cycles ranked by combined score
-- (decile 1 = the best scored tenth), their conversions, the lift over the split's rate and the
-- share of all conversions the deciles up to this one capture.
with

scored as (

    select * from {{ ref('review_scores_by_split') }}

),

ranked as (

    select
        *,
        ntile(10) over (
            partition by scoring_config, split_name
            order by combined_score desc, lead_outcome_id asc
        ) as score_decile
    from scored

),

deciles as (

    select
        scoring_config,
        split_name,
        score_decile,
        count(*) as cycles,
        min(combined_score) as min_score,
        max(combined_score) as max_score,
        sum(case when is_converted then 1 else 0 end) as converted,
        sum(case when has_opportunity then 1 else 0 end) as opportunities,
        sum(case when is_won then 1 else 0 end) as won
    from ranked
    group by scoring_config, split_name, score_decile

),

final as (

    select
        *,
        {{ safe_rate('converted', 'cycles') }} as conversion_rate,
        {{ safe_rate('opportunities', 'cycles') }} as opportunity_rate,
        {{ safe_rate('won', 'cycles') }} as won_rate,
        {{ safe_rate('converted', 'cycles') }}
        / nullif(
            {{ safe_rate(
                'sum(converted) over (partition by scoring_config, split_name)',
                'sum(cycles) over (partition by scoring_config, split_name)'
            ) }},
            0
        ) as lift,
        {{ safe_rate(
            'sum(converted) over (partition by scoring_config, split_name order by score_decile asc nulls first)',
            'sum(converted) over (partition by scoring_config, split_name)'
        ) }} as cumulative_capture
    from deciles

)

select * from final
