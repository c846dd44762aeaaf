-- Conversion per month and source for the two qualification steps: of the leads that first
-- reached MQL (resp. SQL) in the month, how many have reached SQL (resp. an opportunity) since.
-- The MQL -> SQL rate carries its target band (vars mql_to_sql_target_low / _high).
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

steps as (

    select
        'mql_to_sql' as conversion_step,
        cast({{ dbt.date_trunc('month', 'mql_at') }} as date) as period_month,
        source,
        count(*) as entered,
        count(sql_at) as converted
    from funnel
    where mql_at is not null
    group by cast({{ dbt.date_trunc('month', 'mql_at') }} as date), source

    union all

    select
        'sql_to_opportunity' as conversion_step,
        cast({{ dbt.date_trunc('month', 'sql_at') }} as date) as period_month,
        source,
        count(*) as entered,
        count(opportunity_at) as converted
    from funnel
    where sql_at is not null
    group by cast({{ dbt.date_trunc('month', 'sql_at') }} as date), source

),

final as (

    select
        conversion_step,
        period_month,
        source,
        entered,
        converted,
        {{ safe_rate('converted', 'entered') }} as conversion_rate,
        case
            when conversion_step = 'mql_to_sql'
                then cast({{ var('mql_to_sql_target_low') }} as {{ type_double() }})
        end as target_rate_low,
        case
            when conversion_step = 'mql_to_sql'
                then cast({{ var('mql_to_sql_target_high') }} as {{ type_double() }})
        end as target_rate_high,
        case
            when conversion_step = 'mql_to_sql'
                then
                    {{ safe_rate('converted', 'entered') }}
                    between {{ var('mql_to_sql_target_low') }}
                    and {{ var('mql_to_sql_target_high') }}
        end as is_within_target_band
    from steps

)

select * from final
