-- Marketing spend against what it bought, per month and source: cost per lead, cost per
-- qualified lead (spend / SQLs of the leads created that month from that source) and customer
-- acquisition cost (spend / their won deals), for the deals won through qualification (the
-- lead was in the SQL stage before it won) and for all won deals. A source without spend that
-- month costs 0 per lead; a rate with nothing to divide by is null. Money is in the reporting
-- currency (var reporting_currency, seeds/exchange_rates.csv).
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

exchange_rates as (

    select * from {{ ref('exchange_rates') }}

),

-- In the reporting currency; null for a currency without a rate (counted, not summed).
spend as (

    select
        marketing_spend.spend_date,
        marketing_spend.source,
        marketing_spend.spend_amount * exchange_rates.rate_to_reporting_currency as spend_amount
    from {{ ref('stg_landing__marketing_spend') }} as marketing_spend
    left join exchange_rates
        on
            coalesce(marketing_spend.currency, '{{ var("reporting_currency") }}')
            = exchange_rates.currency
    where marketing_spend.spend_date <= {{ as_of_date() }}

),

monthly_spend as (

    select
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as period_month,
        source,
        {{ round_half_away('coalesce(sum(spend_amount), 0)', 2) }} as spend,
        count(*) - count(spend_amount) as spend_rows_without_rate
    from spend
    group by cast({{ dbt.date_trunc('month', 'spend_date') }} as date), source

),

monthly_leads as (

    select
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as period_month,
        source,
        count(*) as leads,
        count(sql_at) as sqls,
        cast(sum(case when is_won then 1 else 0 end) as bigint) as won,
        cast(sum(case when is_won and sql_stage_at is not null then 1 else 0 end) as bigint)
            as won_after_sql
    from funnel
    group by cast({{ dbt.date_trunc('month', 'created_at') }} as date), source

),

monthly as (

    select
        coalesce(monthly_spend.period_month, monthly_leads.period_month) as period_month,
        coalesce(monthly_spend.source, monthly_leads.source) as source,
        coalesce(monthly_spend.spend, 0) as spend,
        coalesce(monthly_spend.spend_rows_without_rate, 0) as spend_rows_without_rate,
        coalesce(monthly_leads.leads, 0) as leads,
        coalesce(monthly_leads.sqls, 0) as sqls,
        coalesce(monthly_leads.won, 0) as won,
        coalesce(monthly_leads.won_after_sql, 0) as won_after_sql
    from monthly_spend
    full outer join monthly_leads
        on
            monthly_spend.period_month = monthly_leads.period_month
            and monthly_spend.source = monthly_leads.source

),

final as (

    select
        period_month,
        source,
        spend,
        spend_rows_without_rate,
        leads,
        sqls,
        won,
        won_after_sql,
        won - won_after_sql as won_without_sql,
        {{ safe_rate('spend', 'leads') }} as cost_per_lead,
        {{ safe_rate('spend', 'sqls') }} as cost_per_qualified_lead,
        {{ safe_rate('spend', 'won') }} as customer_acquisition_cost,
        {{ safe_rate('spend', 'won_after_sql') }} as customer_acquisition_cost_qualified
    from monthly

)

select * from final
