-- Lead velocity: qualified leads (first reaching MQL, and first reaching SQL) per month, against
-- the month before, as a growth rate. Months without qualified leads count as zero: every month
-- from the first qualified lead's to the as-of day's has a row. A move at midnight counts in the
-- month of the day that just ended (month_of_moment), as in leads_per_stage_daily. The first
-- and the current month are partial: days_covered says how many of their days the counts cover,
-- so a rate against a partial month is read as such.
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

monthly as (

    select
        {{ day_ending_at('mql_at') }} as qualified_day,
        {{ month_of_moment('mql_at') }} as period_month,
        1 as mqls,
        0 as sqls
    from funnel
    where mql_at is not null

    union all

    select
        {{ day_ending_at('sql_at') }} as qualified_day,
        {{ month_of_moment('sql_at') }} as period_month,
        0 as mqls,
        1 as sqls
    from funnel
    where sql_at is not null

),

months as (

    select
        cast({{ dbt.date_trunc('month', 'calendar_date') }} as date) as period_month,
        count(*) as days_covered
    from (
        {{ day_series('(select min(qualified_day) from monthly)', as_of_date(), 'calendar_date') }}
    ) as calendar
    group by cast({{ dbt.date_trunc('month', 'calendar_date') }} as date)

),

counted as (

    select
        months.period_month,
        months.days_covered,
        cast(coalesce(sum(monthly.mqls), 0) as bigint) as mqls,
        cast(coalesce(sum(monthly.sqls), 0) as bigint) as sqls
    from months
    left join monthly
        on months.period_month = monthly.period_month
    group by months.period_month, months.days_covered

),

with_previous as (

    select
        period_month,
        days_covered,
        days_covered = {{ dbt.datediff(
            'period_month', dbt.dateadd('month', 1, 'period_month'), 'day'
        ) }} as is_complete_month,
        mqls,
        lag(mqls) over (order by period_month) as previous_month_mqls,
        sqls,
        lag(sqls) over (order by period_month) as previous_month_sqls
    from counted

),

final as (

    select
        period_month,
        cast(days_covered as bigint) as days_covered,
        is_complete_month,
        mqls,
        previous_month_mqls,
        {{ safe_rate('mqls - previous_month_mqls', 'previous_month_mqls') }} as mql_velocity_rate,
        sqls,
        previous_month_sqls,
        {{ safe_rate('sqls - previous_month_sqls', 'previous_month_sqls') }} as sql_velocity_rate
    from with_previous

)

select * from final
