-- Sales cycle length of closed deals per month of closing and source, won and lost separately:
-- days from SQL to close and from lead creation to close (median, 75th percentile, mean).
-- Deals closed without a recorded SQL moment count in lead_to_close only. Rounded to 0.001
-- day or hour, so that reruns give identical numbers whatever the order of summation.
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

closed_deals as (

    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as close_month,
        source,
        case when is_won then 'won' else 'lost' end as outcome,
        {{ dbt.datediff('sql_at', 'closed_at', 'second') }} / 86400.0 as sql_to_close_days,  -- noqa: LT05
        {{ dbt.datediff('created_at', 'closed_at', 'second') }} / 86400.0 as lead_to_close_days  -- noqa: LT05
    from funnel
    where closed_at is not null

),

final as (

    select
        close_month,
        source,
        outcome,
        count(*) as deals,
        {{ round_half_away('percentile_cont(0.5) within group (order by sql_to_close_days)', 3) }}
            as sql_to_close_median_days,
        {{ round_half_away('percentile_cont(0.75) within group (order by sql_to_close_days)', 3) }}
            as sql_to_close_p75_days,
        {{ round_half_away('avg(sql_to_close_days)', 3) }} as sql_to_close_mean_days,
        {{ round_half_away('percentile_cont(0.5) within group (order by lead_to_close_days)', 3) }}
            as lead_to_close_median_days,
        {{ round_half_away('percentile_cont(0.75) within group (order by lead_to_close_days)', 3) }}
            as lead_to_close_p75_days,
        {{ round_half_away('avg(lead_to_close_days)', 3) }} as lead_to_close_mean_days
    from closed_deals
    group by close_month, source, outcome

)

select * from final
