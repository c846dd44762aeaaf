-- Number of leads in each lifecycle stage at the end of every day, from the first lead's
-- creation to the as-of day. Derived from stage history, so past days keep their counts.
-- A lead counts on day d in the stage it was in at the end of d (midnight after d, when that
-- day's score snapshot applies): +1 on the day it entered the stage, -1 on the day it left it,
-- summed over the days.
with

stage_history as (

    select * from {{ ref('int_lead_stages_historized') }}

),

stages as (

    select 'lead' as lifecycle_stage
    {%- set other_stages = [
        'mql', 'sql', 'opportunity', 'won', 'lost', 'nurture', 'recycled', 'disqualified'
    ] %}
    {%- for stage in other_stages %}
    union all
    select '{{ stage }}' as lifecycle_stage
    {%- endfor %}

),

calendar as (

    {{ day_series(
        '(select min(' ~ day_ending_at('entered_at') ~ ') from stage_history)',
        as_of_date(),
        'calendar_date'
    ) }}

),

daily_changes as (

    select
        {{ day_ending_at('entered_at') }} as calendar_date,
        lifecycle_stage,
        1 as lead_change
    from stage_history

    union all

    select
        {{ day_ending_at('exited_at') }} as calendar_date,
        lifecycle_stage,
        -1 as lead_change
    from stage_history
    where exited_at is not null

),

net_changes as (

    select
        calendar_date,
        lifecycle_stage,
        sum(lead_change) as net_change
    from daily_changes
    group by calendar_date, lifecycle_stage

),

grid as (

    select
        calendar.calendar_date,
        stages.lifecycle_stage,
        coalesce(net_changes.net_change, 0) as net_change
    from calendar
    cross join stages
    left join net_changes
        on
            calendar.calendar_date = net_changes.calendar_date
            and stages.lifecycle_stage = net_changes.lifecycle_stage

),

final as (

    select
        calendar_date,
        lifecycle_stage,
        cast(sum(net_change) over (
            partition by lifecycle_stage
            order by calendar_date asc nulls first
            rows between unbounded preceding and current row
        ) as bigint) as leads_in_stage
    from grid

)

select * from final
