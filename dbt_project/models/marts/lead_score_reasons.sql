-- Why each lead has its score on the as-of day: every ledger entry of that day in plain words,
-- ranked by how much it counted, e.g. "Visited the pricing page 3 times in the last 30 days: +26".
with

ledger as (

    select * from {{ ref('score_ledger') }}
    where as_of_date = {{ as_of_date() }}

),

worded as (

    select
        as_of_date,
        lead_id,
        rule_id,
        dimension,
        entry_type,
        points_counted,
        raw_points,
        case when points_counted >= 0 then '+' else '' end
        || cast(points_counted as {{ dbt.type_string() }}) as signed_points,
        case
            when entry_type = 'rule' and lookback_days is not null
                then
                    description || ' ' || cast(event_count as {{ dbt.type_string() }})
                    || case when event_count = 1 then ' time' else ' times' end
                    || ' in the last ' || cast(lookback_days as {{ dbt.type_string() }})
                    || ' days'
            else description
        end as explanation
    from ledger

),

final as (

    select
        as_of_date,
        lead_id,
        row_number() over (
            partition by lead_id
            order by abs(points_counted) desc, rule_id
        ) as reason_rank,
        rule_id,
        dimension,
        entry_type,
        points_counted,
        explanation || ': ' || signed_points
        || case
            when entry_type = 'rule' and raw_points != points_counted
                then
                    ' (' || cast(raw_points as {{ dbt.type_string() }})
                    || ' before decay and cap)'
            else ''
        end as reason
    from worded

)

select * from final
