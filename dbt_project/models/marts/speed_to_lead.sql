-- Speed to lead per month and source: hours from the MQL stage to the first sales action (an
-- assessment or an opportunity) and from the SQL stage to the next one, and how many breached
-- the SLA (var speed_to_lead_sla_hours): no action within the SLA, including leads still waiting
-- past it. A lead that went straight to SQL has no MQL stage to wait in, and one sales opened
-- an opportunity for without qualifying it first has no SQL stage to wait in.
{%- set sla_hours = var('speed_to_lead_sla_hours') %}

with

funnel as (

    select * from {{ ref('int_leads_funneled') }}

),

waits as (

    {%- for stage, started_at in [('mql', 'mql_stage_at'), ('sql', 'sql_stage_at')] %}
    {% if not loop.first %}union all{% endif %}
    select
        '{{ stage }}' as starting_stage,
        {{ month_of_moment(started_at) }} as period_month,
        source,
        {{ dbt.datediff(started_at, 'first_action_after_' ~ started_at, 'second') }}
            as seconds_to_first_action,
        {{ dbt.datediff(started_at, as_of_end(), 'second') }} / 3600.0 as hours_waited_so_far  -- noqa: LT05
    from funnel
    where {{ started_at }} is not null
    {%- endfor %}

),

final as (

    select
        starting_stage,
        period_month,
        source,
        count(*) as leads,
        count(seconds_to_first_action) as leads_with_action,
        {{ round_half_away(
            'percentile_cont(0.5) within group (order by seconds_to_first_action / 3600.0)', 3
        ) }} as median_hours_to_first_action,
        -- The mean of whole seconds: an exact sum, so no order of summation moves a mean that
        -- lies on a rounding half.
        {{ round_half_away('avg(seconds_to_first_action) / 3600.0', 3) }}
            as mean_hours_to_first_action,
        {{ sla_hours }} as sla_hours,
        cast(sum(
            case
                when seconds_to_first_action > {{ sla_hours }} * 3600 then 1
                when seconds_to_first_action is null and hours_waited_so_far > {{ sla_hours }}
                    then 1
                else 0
            end
        ) as bigint) as sla_breaches
    from waits
    group by starting_stage, period_month, source

)

select * from final
