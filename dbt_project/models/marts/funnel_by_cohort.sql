-- The funnel by cohort: leads created per week and per month, by source and segment (industry,
-- size band, country), how many of them reached MQL, SQL, opportunity and won, and the
-- conversion rate between each pair of steps (null when the earlier step has no leads).
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

cohorts as (

    {%- for grain in ['week', 'month'] %}
    {% if not loop.first %}union all{% endif %}
    select
        '{{ grain }}' as cohort_grain,
        cast({{ dbt.date_trunc(grain, 'created_at') }} as date) as cohort_start,
        source,
        industry,
        size_band,
        country_code,
        count(*) as leads,
        count(mql_at) as mqls,
        count(sql_at) as sqls,
        count(opportunity_at) as opportunities,
        cast(sum(case when is_won then 1 else 0 end) as bigint) as won
    from funnel
    group by
        cast({{ dbt.date_trunc(grain, 'created_at') }} as date),
        source,
        industry,
        size_band,
        country_code
    {%- endfor %}

),

final as (

    select
        *,
        {{ safe_rate('mqls', 'leads') }} as lead_to_mql_rate,
        {{ safe_rate('sqls', 'mqls') }} as mql_to_sql_rate,
        {{ safe_rate('opportunities', 'sqls') }} as sql_to_opportunity_rate,
        {{ safe_rate('won', 'opportunities') }} as opportunity_to_won_rate,
        {{ safe_rate('won', 'leads') }} as lead_to_won_rate
    from cohorts

)

select * from final
