-- Each configuration under review scored next to the live rules on the same lead cycles, per
-- split: the MQLs it adds and removes, and how MQL -> SQL (sales accepted and qualified the
-- cycle) and MQL -> opportunity conversion move. Sales' decisions are the ones they actually
-- took: the comparison asks which leads each configuration would have sent them.

with

scores_by_split as (

    select * from {{ ref('review_scores_by_split') }}

),

paired as (

    select
        other.scoring_config,
        other.split_name,
        live.meets_mql_thresholds as is_live_mql,
        other.meets_mql_thresholds as is_mql,
        other.is_sales_qualified,
        other.has_opportunity,
        other.is_converted
    from scores_by_split as other
    inner join scores_by_split as live
        on
            other.lead_outcome_id = live.lead_outcome_id
            and other.split_name = live.split_name
            and live.scoring_config = 'live'

),

counted as (

    select
        scoring_config,
        split_name,
        count(*) as cycles,
        sum(case when is_live_mql then 1 else 0 end) as live_mqls,
        sum(case when is_mql then 1 else 0 end) as mqls,
        sum(case when is_mql and not is_live_mql then 1 else 0 end) as mqls_added,
        sum(case when is_live_mql and not is_mql then 1 else 0 end) as mqls_removed,
        sum(case when is_live_mql and is_sales_qualified then 1 else 0 end) as live_mqls_accepted,
        sum(case when is_mql and is_sales_qualified then 1 else 0 end) as mqls_accepted,
        sum(case when is_live_mql and has_opportunity then 1 else 0 end)
            as live_mqls_with_opportunity,
        sum(case when is_mql and has_opportunity then 1 else 0 end) as mqls_with_opportunity,
        sum(case when is_mql and not is_live_mql and is_converted then 1 else 0 end)
            as added_converted,
        sum(case when is_live_mql and not is_mql and is_converted then 1 else 0 end)
            as removed_converted
    from paired
    group by scoring_config, split_name

),

final as (

    select
        scoring_config,
        split_name,
        cycles,
        live_mqls,
        mqls,
        mqls_added,
        mqls_removed,
        added_converted,
        removed_converted,
        {{ safe_rate('live_mqls_accepted', 'live_mqls') }} as live_mql_to_sql_rate,
        {{ safe_rate('mqls_accepted', 'mqls') }} as mql_to_sql_rate,
        {{ safe_rate('live_mqls_with_opportunity', 'live_mqls') }}
            as live_mql_to_opportunity_rate,
        {{ safe_rate('mqls_with_opportunity', 'mqls') }} as mql_to_opportunity_rate
    from counted

)

select * from final
