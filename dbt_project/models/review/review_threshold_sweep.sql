-- Too strict or too loose: for a range of combined-score thresholds (every 10 points across the
-- scores seen), per configuration and split, how many cycles would qualify as MQL (the
-- configuration's fit grade minimum and the threshold) and as SQL (sales qualified them and the
-- threshold), what share of them converted (precision) and what share of all conversions they
-- hold (recall). is_current marks the configuration's own threshold.
{%- set configs = review_configs() %}

with

scores as (

    select * from {{ ref('review_scores') }}

),

scores_by_split as (

    select * from {{ ref('review_scores_by_split') }}

),

config_thresholds as (

    {%- for config in configs %}
    select
        '{{ config["name"] }}' as scoring_config,
        '{{ config["scoring"]["thresholds"]["mql_min_fit_grade"] }}' as mql_min_fit_grade,
        {{ config['scoring']['thresholds']['mql_min_combined_score'] }} as mql_min_combined_score,
        {{ config['scoring']['thresholds']['sql_min_combined_score'] }} as sql_min_combined_score
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

scored as (

    select
        scores_by_split.*,
        config_thresholds.mql_min_fit_grade,
        config_thresholds.mql_min_combined_score,
        config_thresholds.sql_min_combined_score
    from scores_by_split
    inner join config_thresholds
        on scores_by_split.scoring_config = config_thresholds.scoring_config

),

thresholds as (

    select distinct
        scoring_config,
        cast(floor(combined_score / 10.0) * 10 as integer) as threshold
    from scores
    union
    select
        scoring_config,
        mql_min_combined_score as threshold
    from config_thresholds
    union
    select
        scoring_config,
        sql_min_combined_score as threshold
    from config_thresholds

),

qualifying as (

    select
        scored.scoring_config,
        scored.split_name,
        thresholds.threshold,
        scored.mql_min_combined_score,
        scored.sql_min_combined_score,
        scored.is_converted,
        scored.fit_grade <= scored.mql_min_fit_grade
        and scored.combined_score >= thresholds.threshold as is_mql,
        scored.is_sales_qualified
        and scored.combined_score >= thresholds.threshold as is_sql
    from scored
    inner join thresholds
        on scored.scoring_config = thresholds.scoring_config

),

swept as (

    select
        scoring_config,
        split_name,
        threshold,
        max(mql_min_combined_score) as mql_min_combined_score,
        max(sql_min_combined_score) as sql_min_combined_score,
        sum(case when is_converted then 1 else 0 end) as converted,
        sum(case when is_mql then 1 else 0 end) as mqls,
        sum(case when is_mql and is_converted then 1 else 0 end) as mqls_converted,
        sum(case when is_sql then 1 else 0 end) as sqls,
        sum(case when is_sql and is_converted then 1 else 0 end) as sqls_converted,
        count(*) as cycles
    from qualifying
    group by scoring_config, split_name, threshold

),

final as (

    {%- for stage in ['mql', 'sql'] %}
    select
        scoring_config,
        split_name,
        '{{ stage }}' as qualification,
        threshold,
        threshold = {{ stage }}_min_combined_score as is_current,
        cycles,
        {{ stage }}s as qualified,
        {{ safe_rate(stage ~ 's', 'cycles') }} as qualified_share,
        {{ stage }}s_converted as qualified_converted,
        {{ safe_rate(stage ~ 's_converted', stage ~ 's') }} as precision,
        {{ safe_rate(stage ~ 's_converted', 'converted') }} as recall
    from swept
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from final
