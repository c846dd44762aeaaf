-- What a score means, per configuration and split: the cycles in each band of 10 points of
-- combined score and how often they converted, got an opportunity, were won and were accepted by
-- sales. A well-calibrated score converts more in every higher band.
with

scored as (

    select * from {{ ref('review_scores_by_split') }}

),

bands as (

    select
        scoring_config,
        split_name,
        cast(floor(combined_score / 10.0) * 10 as integer) as score_band,
        count(*) as cycles,
        sum(case when is_converted then 1 else 0 end) as converted,
        sum(case when has_opportunity then 1 else 0 end) as opportunities,
        sum(case when is_won then 1 else 0 end) as won,
        sum(case when is_sales_qualified then 1 else 0 end) as sales_accepted
    from scored
    group by scoring_config, split_name, cast(floor(combined_score / 10.0) * 10 as integer)

),

final as (

    select
        scoring_config,
        split_name,
        score_band,
        score_band + 9 as score_band_end,
        cycles,
        converted,
        {{ safe_rate('converted', 'cycles') }} as conversion_rate,
        {{ safe_rate('opportunities', 'cycles') }} as opportunity_rate,
        {{ safe_rate('won', 'cycles') }} as won_rate,
        {{ safe_rate('sales_accepted', 'cycles') }} as sales_accepted_rate
    from bands

)

select * from final
