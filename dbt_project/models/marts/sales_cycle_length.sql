-- Sales cycle length of closed deals per month of closing and source, won and lost separately:
-- days from the SQL stage to close and from lead creation to close (median, 75th percentile,
-- mean). Deals of leads that were never in the SQL stage (sales opened the opportunity without
-- qualifying the lead first) count in lead_to_close only; deals_through_sql counts the others.
-- Rounded to 0.001 day; means are taken over whole seconds (an exact sum), so that reruns give
-- identical numbers whatever the order of summation.
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

closed_deals as (

    select
        {{ month_of_moment('closed_at') }} as close_month,
        source,
        case when is_won then 'won' else 'lost' end as outcome,
        {{ dbt.datediff('sql_stage_at', 'closed_at', 'second') }} as sql_to_close_seconds,  -- noqa: LT05
        {{ dbt.datediff('created_at', 'closed_at', 'second') }} as lead_to_close_seconds  -- noqa: LT05
    from funnel
    where closed_at is not null

),

closed_deal_days as (

    select
        *,
        sql_to_close_seconds / 86400.0 as sql_to_close_days,
        lead_to_close_seconds / 86400.0 as lead_to_close_days
    from closed_deals

),

final as (

    select
        close_month,
        source,
        outcome,
        count(*) as deals,
        count(sql_to_close_seconds) as deals_through_sql,
        {{ round_half_away('percentile_cont(0.5) within group (order by sql_to_close_days)', 3) }}
            as sql_to_close_median_days,
        {{ round_half_away('percentile_cont(0.75) within group (order by sql_to_close_days)', 3) }}
            as sql_to_close_p75_days,
        {{ round_half_away('avg(sql_to_close_seconds) / 86400.0', 3) }} as sql_to_close_mean_days,
        {{ round_half_away('percentile_cont(0.5) within group (order by lead_to_close_days)', 3) }}
            as lead_to_close_median_days,
        {{ round_half_away('percentile_cont(0.75) within group (order by lead_to_close_days)', 3) }}
            as lead_to_close_p75_days,
        {{ round_half_away('avg(lead_to_close_seconds) / 86400.0', 3) }} as lead_to_close_mean_days
    from closed_deal_days
    group by close_month, source, outcome

)

select * from final
