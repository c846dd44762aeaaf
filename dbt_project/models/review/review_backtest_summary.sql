-- The backtest's headline per configuration and split (training, holdout, all): lead cycles,
-- conversions, the AUC of the combined score against an opportunity and against a win (the
-- chance that a converting cycle scores above one that does not, ties counting half), and what
-- the configuration's own thresholds qualify: MQLs, the share of them sales accepted (MQL -> SQL)
-- and the share that got an opportunity, SQL-ready scores among the cycles sales qualified.
with

scored as (

    select * from {{ ref('review_scores_by_split') }}

),

-- Per score value: cycles and positives of each outcome, and the negatives scoring lower.
{%- for label, column in [('opportunity', 'has_opportunity'), ('won', 'is_won')] %}

score_counts_{{ label }} as (

    select
        scoring_config,
        split_name,
        combined_score,
        count(*) as cycles,
        sum(case when {{ column }} then 1 else 0 end) as positives
    from scored
    group by scoring_config, split_name, combined_score

),

auc_{{ label }} as (

    select
        scoring_config,
        split_name,
        sum(
            positives
            * (coalesce(negatives_below, 0) + 0.5 * (cycles - positives))
        ) / nullif(sum(positives) * sum(cycles - positives), 0) as auc
    from (
        select
            *,
            sum(cycles - positives) over (
                partition by scoring_config, split_name
                order by combined_score asc nulls first
                rows between unbounded preceding and 1 preceding
            ) as negatives_below
        from score_counts_{{ label }}
    ) as ranked
    group by scoring_config, split_name

),
{%- endfor %}

totals as (

    select
        scoring_config,
        split_name,
        count(*) as cycles,
        sum(case when is_converted then 1 else 0 end) as converted,
        sum(case when has_opportunity then 1 else 0 end) as opportunities,
        sum(case when is_won then 1 else 0 end) as won,
        sum(case when meets_mql_thresholds then 1 else 0 end) as mqls,
        sum(case when meets_mql_thresholds and is_sales_qualified then 1 else 0 end)
            as mqls_accepted,
        sum(case when meets_mql_thresholds and has_opportunity then 1 else 0 end)
            as mqls_with_opportunity,
        sum(case when is_sales_qualified then 1 else 0 end) as sales_qualified,
        sum(case when is_sales_qualified and meets_sql_threshold then 1 else 0 end) as sqls,
        sum(
            case
                when is_sales_qualified and meets_sql_threshold and has_opportunity then 1
                else 0
            end
        ) as sqls_with_opportunity,
        avg(cast(combined_score as {{ type_double() }})) as average_score
    from scored
    group by scoring_config, split_name

),

final as (

    select
        totals.scoring_config,
        totals.split_name,
        totals.cycles,
        totals.converted,
        {{ safe_rate('totals.converted', 'totals.cycles') }} as conversion_rate,
        totals.opportunities,
        totals.won,
        round(auc_opportunity.auc, 4) as auc_opportunity,
        round(auc_won.auc, 4) as auc_won,
        totals.mqls,
        {{ safe_rate('totals.mqls', 'totals.cycles') }} as mql_share,
        totals.mqls_accepted,
        {{ safe_rate('totals.mqls_accepted', 'totals.mqls') }} as mql_to_sql_rate,
        {{ safe_rate('totals.mqls_with_opportunity', 'totals.mqls') }}
            as mql_to_opportunity_rate,
        totals.sales_qualified,
        totals.sqls,
        {{ safe_rate('totals.sqls_with_opportunity', 'totals.sqls') }}
            as sql_to_opportunity_rate,
        round(totals.average_score, 2) as average_score
    from totals
    left join auc_opportunity
        on
            totals.scoring_config = auc_opportunity.scoring_config
            and totals.split_name = auc_opportunity.split_name
    left join auc_won
        on
            totals.scoring_config = auc_won.scoring_config
            and totals.split_name = auc_won.split_name

)

select * from final
