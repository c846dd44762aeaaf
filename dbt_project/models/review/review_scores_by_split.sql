-- review_scores once per split it belongs to: training or holdout, and all. The backtest
-- figures group by split_name.
{{ config(materialized='view') }}

with

scores as (

    select * from {{ ref('review_scores') }}

),

final as (

    select
        *,
        split as split_name
    from scores
    union all
    select
        *,
        'all' as split_name
    from scores

)

select * from final
