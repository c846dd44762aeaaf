-- Lead velocity: qualified leads (first reaching MQL, and first reaching SQL) per month, against
-- the month before, as a growth rate. Months without qualified leads count as zero: every month
-- from the first qualified lead's to the as-of day's has a row. A move at midnight counts in the
-- month of the day that just ended (month_of_moment), as in leads_per_stage_daily.
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

monthly as (

    select
        {{ month_of_moment('mql_at') }} as period_month,
        1 as mqls,
        0 as sqls
    from funnel
    where mql_at is not null

    union all

    select
        {{ month_of_moment('sql_at') }} as period_month,
        0 as mqls,
        1 as sqls
    from funnel
    where sql_at is not null

),

months as (

    select distinct cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as period_month
    from (
        {{ day_series('(select min(period_month) from monthly)', as_of_date(), 'calendar_date') }}
    ) as calendar

),

counted as (

    select
        months.period_month,
        cast(coalesce(sum(monthly.mqls), 0) as bigint) as mqls,
        cast(coalesce(sum(monthly.sqls), 0) as bigint) as sqls
    from months
    left join monthly
        on months.period_month = monthly.period_month
    group by months.period_month

),

with_previous as (

    select
        period_month,
        mqls,
        lag(mqls) over (order by period_month) as previous_month_mqls,
        sqls,
        lag(sqls) over (order by period_month) as previous_month_sqls
    from counted

),

final as (

    select
        period_month,
        mqls,
        previous_month_mqls,
        {{ safe_rate('mqls - previous_month_mqls', 'previous_month_mqls') }} as mql_velocity_rate,
        sqls,
        previous_month_sqls,
        {{ safe_rate('sqls - previous_month_sqls', 'previous_month_sqls') }} as sql_velocity_rate
    from with_previous

)

select * from final
