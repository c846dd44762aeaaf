-- Conversion per month and source for the two qualification steps: of the leads that first
-- reached MQL (resp. SQL) in the month, how many have reached SQL (resp. an opportunity) since.
-- The MQL -> SQL rate carries its target band (vars mql_to_sql_target_low / _high). A move at
-- midnight counts in the month of the day that just ended (month_of_moment).
with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

steps as (

    {%- for step, entered_at, converted_at in [
        ('mql_to_sql', 'mql_at', 'sql_at'),
        ('sql_to_opportunity', 'sql_at', 'opportunity_at'),
    ] %}
    {% if not loop.first %}union all{% endif %}
    select
        '{{ step }}' as conversion_step,
        {{ month_of_moment(entered_at) }} as period_month,
        source,
        count(*) as entered,
        count({{ converted_at }}) as converted
    from funnel
    where {{ entered_at }} is not null
    group by {{ month_of_moment(entered_at) }}, source
    {%- endfor %}

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
