-- The lifecycle stage of every lead at every moment something could change it: creation, the
-- end of every day whose score snapshot can change it, every sales assessment, opportunity
-- opened or closed, nurture timeout. A moment sees the latest snapshot before it (the previous
-- day's end), so no score is used before it existed. int_lead_stages_historized merges
-- consecutive moments with the same stage into the stage history. A table of its own: the
-- joins below and the history's window over their result did not fit in 2 GB of DuckDB memory
-- together at 2,000,000 leads.
--
-- Stage at a moment, first match wins; a moment knows only the opportunities opened by then:
--   won           one of them was won (final: a later opportunity does not undo it)
--   opportunity   one of them is open
--   lost          every one of them is closed, none won
--   disqualified  sales' latest verdict is rejected
--   recycled      sales' latest verdict is recycle, in the current MQL cycle (a new cycle
--                 starting after the verdict makes the lead an MQL again)
--   recycled      an SQL without activity for recycle_after_inactive_days
--   sql           sales' latest assessment accepted and qualified the lead (BANT/MEDDIC minimum)
--                 and its combined score has met the SQL threshold since
--   mql           the lead meets the MQL thresholds (fit grade and combined score): an MQL cycle
--   nurture       it met them before and decayed below (a past MQL cycle)
--   nurture       nurture_after_days passed since creation without MQL
--   lead          otherwise
-- History before the first score snapshot (score_history_days) is not reconstructed.
--
-- Incremental by lead: a run recomputes only the leads whose moments can differ from the
-- stored ones, and replaces all of their rows (delete+insert on lead_id). Those are the leads
-- with score changes on or after the as-of day of the previous run (new days, or the same day
-- run again), the leads with stored moments on or after that day, and the leads whose other
-- inputs differ: creation, the nurture timeout reached, sales assessments and opportunities as
-- of the as-of day, and the stage thresholds this model applies (BANT / MEDDIC minimums, the
-- nurture timeout, the inactivity limit), kept as a fingerprint per lead: an edited threshold
-- recomputes every lead's moments. Everything else a moment reads is a past snapshot, which the
-- incremental score history never rewrites (score rules and the MQL / SQL score thresholds
-- apply from the day of the run on). A run for an earlier day than the previous one needs
-- --full-refresh (macros/as_of_date.sql stops it).
{%- set thresholds = scoring_config()['thresholds'] %}
{%- set inactive_days = thresholds['recycle_after_inactive_days'] %}
{%- set stage_threshold_names = [
    'bant_min_criteria', 'meddic_min_criteria', 'nurture_after_days',
    'recycle_after_inactive_days'
] %}
{%- set stage_thresholds = [] %}
{%- for name in stage_threshold_names %}
{%- do stage_thresholds.append(name ~ '=' ~ thresholds[name]) %}
{%- endfor %}
{{ config(
    materialized=row_replacing_materialization(),
    tags=['score_history'],
    incremental_strategy='delete+insert',
    unique_key='lead_id'
) }}

with

known_leads as (

    -- Leads created after the as-of day do not exist yet on that day.
    select
        lead_id,
        created_at
    from {{ ref('stg_landing__leads') }}
    where created_at < {{ as_of_end() }}

),

snapshots as (

    select * from {{ ref('lead_score_snapshots') }}

),

-- A scan of its own: a second reference to the snapshots CTE makes DuckDB materialize every
-- snapshot of the history (94 million rows at 1,000,000 leads) before the join that needs few.
latest_snapshot_day as (

    select
        min(as_of_date) as first_day,
        max(as_of_date) as as_of_date
    from {{ ref('lead_score_snapshots') }}

),

all_score_changes as (

    select * from {{ ref('int_lead_score_changes') }}

),

all_assessments as (

    select * from {{ ref('int_assessments_evaluated') }}

),

-- As known on the as-of day: a close after it is not known yet.
opportunities as (

    select
        lead_id,
        created_at as opened_at,
        case when closed_at < {{ as_of_end() }} then closed_at end as closed_at,
        is_won and closed_at < {{ as_of_end() }} as is_won
    from {{ ref('stg_landing__opportunities') }}
    where created_at < {{ as_of_end() }}

),

-- What the fingerprint compares of a lead's opportunities: a new one, a close, a win, and the
-- first and last dates (an edited date of a middle one of three or more goes unnoticed until
-- another input changes or --full-refresh).
lead_opportunities as (

    select
        lead_id,
        count(*) as opportunities,
        count(closed_at) as closed_opportunities,
        min(opened_at) as first_opened_at,
        max(opened_at) as last_opened_at,
        max(closed_at) as last_closed_at,
        min(case when is_won then closed_at end) as first_won_at
    from opportunities
    group by lead_id

),

-- Assessments are never changed once loaded (a repeated key is rejected), so the ones a lead's
-- moments see only grow in number: their count tells them apart.
lead_assessments as (

    select
        lead_id,
        count(*) as assessments
    from all_assessments
    -- As the moments see them (int_assessments_evaluated filters alike when built the same day).
    where assessed_at < {{ as_of_end() }}
    group by lead_id

),

-- Everything a lead's moments read besides its score history, as one fingerprint.
lead_inputs as (

    select
        known_leads.lead_id,
        {{ dbt.hash(text_key([
            'known_leads.created_at',
            'nurture_reached',
            'lead_assessments.assessments',
            'lead_opportunities.opportunities',
            'lead_opportunities.closed_opportunities',
            'lead_opportunities.first_opened_at',
            'lead_opportunities.last_opened_at',
            'lead_opportunities.last_closed_at',
            'lead_opportunities.first_won_at',
            "'" ~ stage_thresholds | join(',') ~ "'"
        ], null_text='~')) }} as inputs_fingerprint
    from (
        select
            lead_id,
            created_at,
            {{ dbt.dateadd('day', thresholds['nurture_after_days'], 'created_at') }}
            <= {{ as_of_end() }} as nurture_reached
        from known_leads
    ) as known_leads
    left join lead_assessments
        on known_leads.lead_id = lead_assessments.lead_id
    left join lead_opportunities
        on known_leads.lead_id = lead_opportunities.lead_id

),

{% if is_incremental() %}

-- One pass over the stored rows: a lead's rows all come from the run that last computed it.
stored_leads as (

    select
        lead_id,
        max(inputs_fingerprint) as inputs_fingerprint,
        max(moment_at) as last_moment_at,
        max(computed_as_of) as computed_as_of
    from {{ this }}
    group by lead_id

),

previous_run as (

    select max(computed_as_of) as as_of_date from stored_leads

),

changed_leads as (

    select lead_inputs.lead_id
    from lead_inputs
    left join stored_leads
        on lead_inputs.lead_id = stored_leads.lead_id
    cross join previous_run
    where
        stored_leads.lead_id is null
        or stored_leads.inputs_fingerprint != lead_inputs.inputs_fingerprint
        or stored_leads.last_moment_at >= cast(previous_run.as_of_date as timestamp)
    union
    select all_score_changes.lead_id
    from all_score_changes
    inner join previous_run
        on all_score_changes.as_of_date >= previous_run.as_of_date

),

{% endif %}

leads as (

    select
        lead_id,
        created_at
    from known_leads
    {%- if is_incremental() %}
    where lead_id in (select changed_leads.lead_id from changed_leads)
    {%- endif %}

),

score_changes as (

    select * from all_score_changes
    {%- if is_incremental() %}
    where lead_id in (select changed_leads.lead_id from changed_leads)
    {%- endif %}

),

assessments as (

    select * from all_assessments
    {%- if is_incremental() %}
    where lead_id in (select changed_leads.lead_id from changed_leads)
    {%- endif %}

),

-- The MQL cycles: from a day the lead meets the MQL thresholds after a day it did not (or its
-- first day) to the day before it no longer does, or its latest snapshot. Every such change is a
-- row of the score changes.
mql_changes as (

    select
        lead_id,
        as_of_date,
        meets_mql_thresholds,
        lead(as_of_date) over (partition by lead_id order by as_of_date) as next_change_date
    from (
        select
            lead_id,
            as_of_date,
            meets_mql_thresholds,
            lag(meets_mql_thresholds) over (
                partition by lead_id order by as_of_date
            ) as previous_meets_mql
        from score_changes
    ) as compared
    where previous_meets_mql is null or meets_mql_thresholds != previous_meets_mql

),

mql_cycles as (

    select
        lead_id,
        as_of_date as first_day,
        coalesce(
            cast({{ dbt.dateadd('day', -1, 'next_change_date') }} as date),
            (select latest_snapshot_day.as_of_date from latest_snapshot_day)
        ) as last_day,
        row_number() over (partition by lead_id order by as_of_date) as mql_cycle
    from mql_changes
    where meets_mql_thresholds

),

-- A moment after the end of the first MQL cycle has a past cycle.
first_mql_cycles as (

    select
        lead_id,
        min(last_day) as last_day
    from mql_cycles
    group by lead_id

),

-- For each accepted, qualifying assessment: the first day from the assessment on whose score
-- meets the SQL threshold. Between two score changes the SQL threshold is met, or not, on
-- every day.
sql_threshold_periods as (

    select
        lead_id,
        as_of_date as first_day,
        lead(as_of_date) over (partition by lead_id order by as_of_date) as next_change_date,
        meets_sql_threshold
    from score_changes

),

sql_ready as (

    select
        qualified.assessment_id,
        min(
            greatest(sql_threshold_periods.first_day, qualified.first_score_date)
        ) as first_sql_score_date
    from (
        select
            assessment_id,
            lead_id,
            -- The snapshot before the assessment counts: the end of the previous day.
            cast({{ dbt.dateadd('day', -1, 'cast(assessed_at as date)') }} as date)
                as first_score_date
        from assessments
        where is_sales_qualified
    ) as qualified
    inner join sql_threshold_periods
        on
            qualified.lead_id = sql_threshold_periods.lead_id
            and sql_threshold_periods.meets_sql_threshold
            and (
                sql_threshold_periods.next_change_date is null
                or qualified.first_score_date < sql_threshold_periods.next_change_date
            )
    group by qualified.assessment_id

),

-- The day the current stretch without activity reached the limit, read from the as-of day's
-- snapshot. The score changes mark that day (days_since_last_activity equal to the limit) only
-- under the limit of the run that built the day: after the limit is lowered, the leads already
-- past the new one would otherwise have no moment to be recycled at.
inactivity_limit_reached as (

    select
        current_snapshots.lead_id,
        {{ day_end(dbt.dateadd(
            'day',
            inactive_days ~ ' - current_snapshots.days_since_last_activity',
            'current_snapshots.as_of_date'
        )) }} as moment_at
    from {{ ref('lead_score_snapshots') }} as current_snapshots
    inner join latest_snapshot_day
        on current_snapshots.as_of_date = latest_snapshot_day.as_of_date
    inner join leads
        on current_snapshots.lead_id = leads.lead_id
    where
        current_snapshots.days_since_last_activity >= {{ inactive_days }}
        -- The day must have a snapshot: the history's first day has a score change anyway.
        and current_snapshots.days_since_last_activity - {{ inactive_days }}
        < {{ dbt.datediff('latest_snapshot_day.first_day', 'current_snapshots.as_of_date', 'day') }}

),

nurture_timeouts as (

    select
        lead_id,
        {{ dbt.dateadd('day', thresholds['nurture_after_days'], 'created_at') }} as nurture_at
    from leads

),

moments as (

    select
        lead_id,
        created_at as moment_at
    from leads
    union
    select
        lead_id,
        nurture_at
    from nurture_timeouts
    union
    select
        lead_id,
        {{ day_end('as_of_date') }}
    from score_changes
    union
    select
        lead_id,
        moment_at
    from inactivity_limit_reached
    union
    select
        lead_id,
        assessed_at
    from assessments
    union
    select
        lead_id,
        opened_at
    from opportunities
    union
    select
        lead_id,
        closed_at
    from opportunities
    where closed_at is not null

),

known_moments as (

    select
        moments.lead_id,
        moments.moment_at,
        -- The latest snapshot at or before the moment: the end of the previous day.
        cast({{ dbt.dateadd('day', -1, 'cast(moments.moment_at as date)') }} as date)
            as snapshot_date
    from moments
    inner join leads
        on moments.lead_id = leads.lead_id
    where
        moments.moment_at >= leads.created_at
        -- The end of the as-of day counts: its snapshot decides the current stage.
        and moments.moment_at <= {{ as_of_end() }}

),

moment_days as (

    select distinct
        lead_id,
        snapshot_date
    from known_moments

),

-- The snapshots the moments read (a few per lead): the score history is not joined whole.
moment_snapshots as (

    select
        snapshots.lead_id,
        snapshots.as_of_date,
        snapshots.combined_score,
        snapshots.fit_grade,
        snapshots.days_since_last_activity
    from snapshots
    inner join moment_days
        on
            snapshots.lead_id = moment_days.lead_id
            and snapshots.as_of_date = moment_days.snapshot_date

),

-- The opportunities each moment knows: opened by then, and which of them are open or won.
opportunity_states as (

    select
        known_moments.lead_id,
        known_moments.moment_at,
        count(
            case
                when
                    opportunities.closed_at is null
                    or opportunities.closed_at > known_moments.moment_at
                    then 1
            end
        ) as open_opportunities,
        count(
            case
                when
                    opportunities.is_won
                    and opportunities.closed_at <= known_moments.moment_at
                    then 1
            end
        ) as won_opportunities
    from known_moments
    inner join opportunities
        on
            known_moments.lead_id = opportunities.lead_id
            and known_moments.moment_at >= opportunities.opened_at
    group by known_moments.lead_id, known_moments.moment_at

),

latest_assessments as (

    select
        known_moments.lead_id,
        known_moments.moment_at,
        assessments.assessment_id,
        assessments.assessed_at,
        assessments.verdict,
        assessments.framework,
        assessments.criteria_met,
        assessments.criteria_total,
        assessments.is_sales_qualified,
        row_number() over (
            partition by known_moments.lead_id, known_moments.moment_at
            order by assessments.assessed_at desc, assessments.assessment_id desc
        ) as recency_rank
    from known_moments
    inner join assessments
        on
            known_moments.lead_id = assessments.lead_id
            and known_moments.moment_at >= assessments.assessed_at

),

moment_facts as (

    select
        known_moments.lead_id,
        known_moments.moment_at,
        nurture_timeouts.nurture_at,
        moment_snapshots.combined_score,
        moment_snapshots.fit_grade,
        moment_snapshots.days_since_last_activity,
        current_cycle.mql_cycle as current_mql_cycle,
        {{ day_end('current_cycle.first_day') }} as current_cycle_started_at,
        coalesce(first_mql_cycles.last_day < known_moments.snapshot_date, false)
            as has_past_mql_cycle,
        latest_assessments.verdict,
        latest_assessments.assessed_at,
        latest_assessments.framework,
        latest_assessments.criteria_met,
        latest_assessments.criteria_total,
        coalesce(latest_assessments.is_sales_qualified, false)
        and sql_ready.first_sql_score_date <= known_moments.snapshot_date as is_sales_qualified,
        opportunity_states.lead_id is not null as has_opportunity,
        coalesce(opportunity_states.open_opportunities > 0, false) as has_open_opportunity,
        coalesce(opportunity_states.won_opportunities > 0, false) as has_won_opportunity
    from known_moments
    left join moment_snapshots
        on
            known_moments.lead_id = moment_snapshots.lead_id
            and known_moments.snapshot_date = moment_snapshots.as_of_date
    left join mql_cycles as current_cycle
        on
            known_moments.lead_id = current_cycle.lead_id
            and known_moments.snapshot_date
            between current_cycle.first_day and current_cycle.last_day
    left join first_mql_cycles
        on known_moments.lead_id = first_mql_cycles.lead_id
    left join latest_assessments
        on
            known_moments.lead_id = latest_assessments.lead_id
            and known_moments.moment_at = latest_assessments.moment_at
            and latest_assessments.recency_rank = 1
    left join sql_ready
        on latest_assessments.assessment_id = sql_ready.assessment_id
    left join opportunity_states
        on
            known_moments.lead_id = opportunity_states.lead_id
            and known_moments.moment_at = opportunity_states.moment_at
    left join nurture_timeouts
        on known_moments.lead_id = nurture_timeouts.lead_id

),

-- Which stage rule applies at each moment (first match wins, see the header) ...
ruled as (

    select
        *,
        case
            when has_won_opportunity then 'won'
            when has_open_opportunity then 'opportunity'
            when has_opportunity then 'lost'
            when verdict = 'rejected' then 'disqualified'
            when
                verdict = 'recycle'
                and (current_mql_cycle is null or current_cycle_started_at <= assessed_at)
                then 'recycled_by_sales'
            when
                is_sales_qualified
                and days_since_last_activity >= {{ inactive_days }}
                then 'recycled_inactive'
            when is_sales_qualified then 'sql'
            when current_mql_cycle is not null then 'mql'
            when has_past_mql_cycle then 'decayed'
            when moment_at >= nurture_at then 'nurture_timeout'
            else 'lead'
        end as stage_rule
    from moment_facts

),

-- ... and the stage it gives.
evaluated as (

    select
        lead_id,
        moment_at,
        current_mql_cycle,
        stage_rule,
        case stage_rule
            when 'recycled_by_sales' then 'recycled'
            when 'recycled_inactive' then 'recycled'
            when 'decayed' then 'nurture'
            when 'nurture_timeout' then 'nurture'
            else stage_rule
        end as lifecycle_stage,
        -- What the reason of a move quotes.
        framework,
        criteria_met,
        criteria_total,
        combined_score,
        fit_grade
    from ruled

),

-- What the next run compares (see the header).
final as (

    select
        evaluated.*,
        lead_inputs.inputs_fingerprint,
        {{ as_of_date() }} as computed_as_of
    from evaluated
    inner join lead_inputs
        on evaluated.lead_id = lead_inputs.lead_id

)

select * from final
