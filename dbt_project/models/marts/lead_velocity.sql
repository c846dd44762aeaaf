-- Lead velocity: qualified leads (first reaching MQL, and first reaching SQL) per month, against
-- the month before, as a growth rate. Months without qualified leads count as zero.
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

monthly as (

    select
        cast({{ dbt.date_trunc('month', 'mql_at') }} as date) as period_month,
        1 as mqls,
        0 as sqls
    from funnel
    where mql_at is not null

    union all

    select
        cast({{ dbt.date_trunc('month', 'sql_at') }} as date) as period_month,
        0 as mqls,
        1 as sqls
    from funnel
    where sql_at is not null

),

counted as (

    select
        period_month,
        cast(sum(mqls) as bigint) as mqls,
        cast(sum(sqls) as bigint) as sqls
    from monthly
    group by period_month

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
