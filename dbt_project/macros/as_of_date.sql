{#- The day scores and stages are computed for: var('as_of_date') or today (UTC). -#}
{% macro as_of_date() -%}
    {%- if var('as_of_date', none) -%}
        cast('{{ var("as_of_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}

{#- Scores are evaluated at the end of the as-of day: events of that day count. -#}
{% macro as_of_end() -%}
    cast({{ dbt.dateadd('day', 1, as_of_date()) }} as timestamp)
{%- endmacro %}

{#- on-run-start: stop a run that builds the score or stage history (models tagged
    `score_history`) for an earlier day than the warehouse's latest score day. Those keep the
    later days (scores, stage moves) and would mix them with the earlier day's; rebuilding the
    history for that day is a full refresh. The same day again, or a later one, is a normal run;
    so are runs of other models (the event tables delete the days after an earlier as-of day,
    and the model review's tables are rebuilt whole). -#}
{% macro refuse_an_earlier_as_of_day() -%}
    {%- set history_models = [] -%}
    {%- for unique_id in selected_resources if unique_id in graph.nodes -%}
        {%- if 'score_history' in graph.nodes[unique_id].tags -%}
            {%- do history_models.append(unique_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if execute and flags.WHICH in ('build', 'run') and history_models
        and not flags.FULL_REFRESH -%}
        {%- set snapshots = adapter.get_relation(
            database=target.database, schema='marts', identifier='lead_score_snapshots') -%}
        {%- if snapshots is not none -%}
            {%- set days -%}
                select
                    cast(max(as_of_date) as {{ dbt.type_string() }}) as latest_day,
                    cast({{ as_of_date() }} as {{ dbt.type_string() }}) as run_day
                from {{ snapshots }}
            {%- endset -%}
            {%- set latest_day, run_day = run_query(days).rows[0] -%}
            {%- if latest_day is not none and run_day < latest_day -%}
                {{ exceptions.raise_compiler_error(
                    'The warehouse holds scores up to ' ~ latest_day ~ ' and this run is for '
                    ~ run_day ~ ': an incremental run would keep the later days and mix them with'
                    ~ ' it. To look at ' ~ run_day ~ ', run on another warehouse (leadqual run'
                    ~ ' --warehouse ... --as-of ' ~ run_day ~ '). To move this warehouse back to '
                    ~ run_day ~ ', rebuild its history with `leadqual run --as-of ' ~ run_day
                    ~ ' --full-refresh`: that run also publishes the SQL list of that day.') }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
