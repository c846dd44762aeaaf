{#- The validated scoring configuration (scoring/rules.yml), passed by `leadqual` and the Dagster
    dbt asset as the var `scoring`; see orchestration/scoring/rules.py. Plain `dbt build` without it
    fails with a pointer to `leadqual dbt build`, because scoring with no rules would be wrong
    silently. Parsing (dagster-dbt, sqlfluff) gets an empty configuration. -#}
{% macro scoring_config() -%}
    {%- set config = var('scoring', none) -%}
    {%- if config is string -%}
        {%- set config = fromjson(config) -%}
    {%- endif -%}
    {%- if config is none -%}
        {%- if execute and flags.WHICH in ['run', 'build', 'test'] -%}
            {{ exceptions.raise_compiler_error(
                "The scoring rules were not passed to dbt. Run dbt through `leadqual dbt "
                ~ flags.WHICH ~ " ...`, which validates scoring/rules.yml and passes it as "
                ~ "--vars '{scoring: ...}'."
            ) }}
        {%- endif -%}
        {{ return({
            'thresholds': {
                'mql_min_fit_grade': 'D', 'mql_min_combined_score': 0,
                'sql_min_combined_score': 0, 'bant_min_criteria': 3,
                'meddic_min_criteria': 4, 'nurture_after_days': 30,
                'recycle_after_inactive_days': 45
            },
            'fit_grades': {'A': 3, 'B': 2, 'C': 1},
            'dimension_caps': {
                'demographic': none, 'firmographic': none, 'behavioural': 50, 'timing': 50
            },
            'rules': [],
            'attributes': []
        }) }}
    {%- endif -%}
    {{ return(config) }}
{%- endmacro %}

{#- Fit grade letter for fit points, by the minimum points per grade (the live rules' unless
    `grades` are given). -#}
{% macro fit_grade(points_expression, grades=none) -%}
    {%- set grades = grades or scoring_config()['fit_grades'] -%}
    case
        when {{ points_expression }} >= {{ grades['A'] }} then 'A'
        when {{ points_expression }} >= {{ grades['B'] }} then 'B'
        when {{ points_expression }} >= {{ grades['C'] }} then 'C'
        else 'D'
    end
{%- endmacro %}

{#- The days a by-day score model computes in this run (one row per as_of_date): on a full
    build, the last `history_days` days up to the as-of day (the model's config `history_days`,
    else the var score_history_days); then each run adds the days since the model's latest day,
    or recomputes the as-of day. Built by the daily_batches materialization, the model computes
    them a batch of days at a time: the days of the current batch, from a table it fills. -#}
{% macro score_days() -%}
    {%- if config.get('materialized') == 'daily_batches' and model.resource_type == 'model' -%}
        select as_of_date from {{ batch_days_relation() }}
    {%- else -%}
        {{ day_series(first_score_day(this if is_incremental() else none), as_of_date()) }}
    {%- endif -%}
{%- endmacro %}

{#- The first day a by-day model computes (a date expression): the day after the latest day of
    `existing` (no later than the as-of day), or, without one, the first of its history days. -#}
{% macro first_score_day(existing=none) -%}
    {%- if existing is not none -%}
        least(
            cast({{ dbt.dateadd('day', 1, '(select max(as_of_date) from ' ~ existing ~ ')') }} as date),
            {{ as_of_date() }}
        )
    {%- else -%}
        {%- set history_days = config.get('history_days') or var('score_history_days') -%}
        cast({{ dbt.dateadd('day', 1 - history_days | int, as_of_date()) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- One row per day from start to end (inclusive), column `column`: a series generator, so one
    macro per adapter. -#}
{% macro day_series(start_date, end_date, column='as_of_date') -%}
    {{ return(adapter.dispatch('day_series')(start_date, end_date, column)) }}
{%- endmacro %}

{% macro default__day_series(start_date, end_date, column) -%}
    select cast(unnest(generate_series(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval '1 day'
    )) as date) as {{ column }}
{%- endmacro %}

{% macro postgres__day_series(start_date, end_date, column) -%}
    select cast(generate_series(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval '1 day'
    ) as date) as {{ column }}
{%- endmacro %}

{% macro spark__day_series(start_date, end_date, column) -%}
    select explode(sequence(
        cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
    )) as {{ column }}
{%- endmacro %}

{#- The moment a daily snapshot stands for: the end of its day. -#}
{% macro day_end(date_expression) -%}
    cast({{ dbt.dateadd('day', 1, date_expression) }} as timestamp)
{%- endmacro %}

{#- The first day whose end (the following midnight) is at or after the moment: a move at
    exactly midnight belongs to the day that just ended, like that day's score snapshot. -#}
{% macro day_ending_at(timestamp_expression) -%}
    case
        when {{ timestamp_expression }} = cast(cast({{ timestamp_expression }} as date) as timestamp)
            then cast({{ dbt.dateadd('day', -1, timestamp_expression) }} as date)
        else cast({{ timestamp_expression }} as date)
    end
{%- endmacro %}

{#- The first day of the month a moment counts in: the month of its day_ending_at, so monthly
    KPIs put a move at midnight on the 1st in the month that just ended, as the daily ones do. -#}
{% macro month_of_moment(timestamp_expression) -%}
    cast({{ dbt.date_trunc('month', day_ending_at(timestamp_expression)) }} as date)
{%- endmacro %}
