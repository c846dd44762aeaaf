-- The benchmark's floor: the least work that produces every lead's score and stage as of one day,
-- written by hand as one DuckDB script straight over the landing files. It hard-codes the
-- shipped scoring/rules.yml (the benchmark reports how far its answers agree with the job's, so
-- an edited rules file shows up there). It keeps no history: no daily snapshots, no stage
-- history, no KPI marts, no contract checks or rejects, no quality gates, no publishing.
-- Placeholders: {landing} (folder), {as_of} (YYYY-MM-DD), {output} (Parquet file written).
set timezone = 'UTC';

create temp table leads as
with raw_leads as (
    select
        lead_id,
        try_cast(created_at as timestamptz)::timestamp as created_at,
        try_cast(updated_at as timestamptz)::timestamp as updated_at,
        lower(email) as email,
        lower(job_title) as job_title,
        account_id,
        upper(country) as country_code,
        filename
    from read_csv('{landing}/leads/*.csv', all_varchar = true, union_by_name = true,
        filename = true)
)
select * exclude (version_rank)
from (
    select
        *,
        row_number() over (
            partition by lead_id order by updated_at desc nulls last, filename desc
        ) as version_rank
    from raw_leads
    where lead_id is not null and created_at < date '{as_of}' + 1
)
where version_rank = 1;

create temp table accounts as
select * exclude (version_rank)
from (
    select
        account_id,
        lower(industry) as industry,
        try_cast(employee_count as bigint) as employee_count,
        upper(country) as country_code,
        year(date '{as_of}') - try_cast(founded_year as bigint) as company_age_years,
        try_cast(budget as double) as budget,
        try_cast(growth_rate as double) as growth_rate,
        replace(lower(tech_stack), ' ', '') as tech_stack,
        row_number() over (
            partition by account_id
            order by try_cast(updated_at as timestamptz) desc nulls last, filename desc
        ) as version_rank
    from read_parquet('{landing}/accounts/*.parquet', union_by_name = true, filename = true)
    where account_id is not null
)
where version_rank = 1;

create temp table events as
select
    lead_id,
    event_type,
    occurred_at,
    cast(occurred_at as date) as activity_date,
    -- The page_categories seed as a hand-written case (first pattern by priority wins).
    case
        when event_type != 'page_view' then null
        when page_url like '%/pricing%' or page_url like '%/plans%' then 'pricing'
        when page_url like '%/docs/%' or page_url like '%/documentation/%' then 'docs'
        when page_url like '%/careers%' or page_url like '%/jobs/%' then 'careers'
        when page_url like '%/blog/%' then 'blog'
        when page_url like '%/product%' then 'product'
        when page_url like '%/customers/%' then 'customers'
        else 'other'
    end as page_category
from (
    select
        event_id,
        lead_id,
        event_type,
        try_cast(occurred_at as timestamptz)::timestamp as occurred_at,
        lower(page_url) as page_url,
        row_number() over (partition by event_id order by filename) as copy_rank
    from read_csv('{landing}/events/*.csv', all_varchar = true, filename = true)
    where event_id is not null
) as raw_events
where copy_rank = 1
    and occurred_at < date '{as_of}' + 1
    and lead_id in (select lead_id from leads);

create temp table fit as
select
    leads.lead_id,
    leads.created_at,
    (case when accounts.employee_count between 50 and 5000 then 10 else 0 end)
    + (case when accounts.industry in ('software', 'fintech', 'healthcare') then 8 else 0 end)
    + (case when coalesce(accounts.country_code, leads.country_code)
        in ('US', 'GB', 'DE', 'FR', 'NL', 'CA', 'AU') then 7 else 0 end)
    + (case when accounts.company_age_years between 3 and 30 then 5 else 0 end)
    + (case when leads.job_title like '%chief%' or leads.job_title like 'c_o'
        or leads.job_title like 'vp%' or leads.job_title like '%vice president%'
        or leads.job_title like '%head of%' or leads.job_title like '%director%'
        or leads.job_title like '%founder%' then 15 else 0 end)
    - (case when split_part(leads.email, '@', 2) in ('gmail.com', 'yahoo.com', 'hotmail.com',
        'outlook.com', 'icloud.com', 'gmx.de', 'web.de', 'proton.me') then 10 else 0 end)
    - (case when split_part(leads.email, '@', 2) in ('competitor.example', 'rival.example')
        then 50 else 0 end)
    - (case when leads.job_title like '%student%' or ' ' || leads.job_title || ' ' like '% intern %'
        or leads.job_title like '%internship%' or leads.job_title like '%job seeker%'
        or leads.job_title like '%looking for%' then 20 else 0 end)
        as demographic_points,
    split_part(leads.email, '@', 2) in ('competitor.example', 'rival.example')
        as demographic_may_go_negative,
    (case when accounts.budget >= 50000 then 12 else 0 end)
    + (case when accounts.growth_rate >= 0.2 then 8 else 0 end)
    + (case when ';' || accounts.tech_stack || ';' like '%;snowflake;%'
        or ';' || accounts.tech_stack || ';' like '%;dbt;%'
        or ';' || accounts.tech_stack || ';' like '%;segment;%'
        or ';' || accounts.tech_stack || ';' like '%;looker;%' then 10 else 0 end)
        as firmographic_points
from leads
left join accounts on leads.account_id = accounts.account_id;

-- Behavioural rules: (rule, matching condition, points, lookback days, half-life days, cap).
create temp table behaviour as
with rules(rule_id, event_type, page_category, points, lookback_days, half_life_days, cap) as (
    values
        ('pricing_page_visit', null, 'pricing', 10, 30, 14, 30),
        ('demo_booked', 'demo_booked', null, 25, 60, 30, 25),
        ('demo_requested', 'demo_requested', null, 15, 60, 30, 15),
        ('trial_started', 'trial_started', null, 20, 60, 30, 20),
        ('webinar_attended', 'webinar_attended', null, 8, 60, 30, 16),
        ('content_download', 'content_download', null, 5, 60, 30, 15),
        ('form_submit', 'form_submit', null, 5, 60, 30, 10),
        ('email_click', 'email_click', null, 3, 30, 14, 9),
        ('docs_page_visit', null, 'docs', 2, 30, 14, 6),
        ('unsubscribed', 'email_unsubscribe', null, -15, 365, null, 15),
        ('email_bounced', 'email_bounce', null, -10, 365, null, 10),
        ('careers_page_visitor', null, 'careers', -5, 60, 30, 10)
),
per_rule as (
    select
        events.lead_id,
        rules.cap,
        sum(rules.points * coalesce(power(0.5,
            epoch(cast(date '{as_of}' + 1 as timestamp) - events.occurred_at)
            / (86400.0 * rules.half_life_days)), 1)) as decayed
    from events
    inner join rules
        on (events.event_type = rules.event_type or events.page_category = rules.page_category)
        and events.occurred_at >= cast(date '{as_of}' + 1 as timestamp)
            - to_days(rules.lookback_days)
    group by events.lead_id, rules.rule_id, rules.cap
)
select
    lead_id,
    sum(cast(round(greatest(least(decayed, cap), -cap)) as integer)) as behavioural_points
from per_rule
group by lead_id;

create temp table timing as
with activity as (
    -- Bounces and unsubscribes are no activity (var non_activity_event_types).
    select lead_id, activity_date, count(*) as events
    from events
    where event_type not in ('email_bounce', 'email_unsubscribe')
    group by lead_id, activity_date
),
facts as (
    select
        lead_id,
        date '{as_of}' - max(activity_date) as days_since_last_activity,
        count(*) filter (where date '{as_of}' - activity_date < 30) as active_days_last_30_days
    from activity
    group by lead_id
)
select
    lead_id,
    days_since_last_activity,
    (case when days_since_last_activity <= 6 then 10 else 0 end)
    + (case when days_since_last_activity between 7 and 29 then 5 else 0 end)
    + (case when active_days_last_30_days >= 4 then 10 else 0 end) as timing_points
from facts;

create temp table scores as
with dimensions as (
    select
        fit.lead_id,
        fit.created_at,
        timing.days_since_last_activity,
        least(case when fit.demographic_may_go_negative then fit.demographic_points
            else greatest(fit.demographic_points, 0) end, 45) as demographic_score,
        least(greatest(fit.firmographic_points, 0), 30) as firmographic_score,
        least(greatest(coalesce(behaviour.behavioural_points, 0), 0), 75) as behavioural_score,
        least(coalesce(timing.timing_points, 0), 25) as timing_score
    from fit
    left join behaviour on fit.lead_id = behaviour.lead_id
    left join timing on fit.lead_id = timing.lead_id
)
select
    *,
    case
        when demographic_score + firmographic_score >= 45 then 'A'
        when demographic_score + firmographic_score >= 30 then 'B'
        when demographic_score + firmographic_score >= 15 then 'C'
        else 'D'
    end as fit_grade,
    demographic_score + firmographic_score + behavioural_score + timing_score as combined_score
from dimensions;

create temp table latest_assessments as
select * from (
    select
        lead_id,
        verdict,
        verdict = 'accepted' and case
            when framework = 'bant' then
                (budget = 'true')::int + (authority = 'true')::int + (need = 'true')::int
                + (timeline = 'true')::int >= 3
            else
                (metrics = 'true')::int + (economic_buyer = 'true')::int
                + (decision_criteria = 'true')::int + (decision_process = 'true')::int
                + (identified_pain = 'true')::int + (champion = 'true')::int >= 4
        end as is_sales_qualified,
        row_number() over (
            partition by lead_id order by try_cast(assessed_at as timestamptz) desc
        ) as recency_rank
    from read_csv('{landing}/sales_qualification/*.csv', all_varchar = true,
        union_by_name = true)
    where try_cast(assessed_at as timestamptz) < date '{as_of}' + 1
)
where recency_rank = 1;

create temp table lead_opportunities as
select
    lead_id,
    count(*) = count(closed_at) as is_closed,
    bool_or(coalesce(is_won, false)) as is_won
from (
    select
        lead_id,
        case when closed_at < date '{as_of}' + 1 then closed_at end as closed_at,
        is_won
    from (
        select
            lead_id,
            try_cast(created_at as timestamptz) as created_at,
            try_cast(closed_at as timestamptz) as closed_at,
            try_cast(is_won as boolean) as is_won,
            row_number() over (
                partition by opportunity_id
                order by try_cast(updated_at as timestamptz) desc nulls last
            ) as version_rank
        from read_json('{landing}/opportunities/*.jsonl', format = 'newline_delimited',
            columns = {
                opportunity_id: 'varchar', lead_id: 'varchar', created_at: 'varchar',
                closed_at: 'varchar', is_won: 'varchar', updated_at: 'varchar'
            })
    )
    where version_rank = 1 and created_at < date '{as_of}' + 1
)
group by lead_id;

copy (
    select
        scores.lead_id,
        scores.demographic_score,
        scores.firmographic_score,
        scores.behavioural_score,
        scores.timing_score,
        scores.fit_grade,
        scores.combined_score,
        case
            when lead_opportunities.is_closed and lead_opportunities.is_won then 'won'
            when lead_opportunities.is_closed then 'lost'
            when lead_opportunities.lead_id is not null then 'opportunity'
            when latest_assessments.verdict = 'rejected' then 'disqualified'
            when latest_assessments.verdict = 'recycle' then 'recycled'
            when latest_assessments.is_sales_qualified and scores.combined_score >= 100
                and scores.days_since_last_activity >= 45 then 'recycled'
            when latest_assessments.is_sales_qualified and scores.combined_score >= 100
                then 'sql'
            when scores.fit_grade <= 'C' and scores.combined_score >= 90 then 'mql'
            when scores.created_at + interval 30 day <= date '{as_of}' + 1 then 'nurture'
            else 'lead'
        end as lifecycle_stage
    from scores
    left join latest_assessments on scores.lead_id = latest_assessments.lead_id
    left join lead_opportunities on scores.lead_id = lead_opportunities.lead_id
) to '{output}' (format parquet);
