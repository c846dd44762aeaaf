{#- The event tables are incremental by load: int_events_categorized (a row per event, 20
    million at 1,000,000 leads), int_lead_activity_dates and int_lead_rule_activity_dates (a row
    per lead and day, and per lead, behavioural rule and day). Rebuilt whole they cost 15 s of a
    daily run that adds one day of events; instead a run computes only the rows its new input can
    change, deletes their stored versions in a pre-hook and appends them:

    - int_events_categorized categorizes the events loaded after its latest load (raw
      _loaded_at) and re-reads every event of the leads with an erasure request, so a redaction
      in raw reaches this table, the only one beside raw that holds page addresses and event
      properties, on the next run. A changed page_categories seed re-categorizes every event.
    - The per lead and day tables recompute the lead-days with events written to
      int_events_categorized since their own last run, and the days after their latest day
      (events beyond the previous as-of day that now count), and drop the days after the as-of
      day (a run for an earlier day). The rules' table is recomputed whole when the behavioural
      rules changed.

    Every row carries the dbt invocation that wrote it (computed_at): one writer at a time, as
    the daily job runs dbt, keeps those stamps in the order of the runs. What a model reads of
    its own stored rows to decide (stored_state) is read when the model compiles and again when
    its pre-hook renders, before anything is deleted, so both select the same rows. A table
    stored without the columns this needs (built by an earlier version of the model) is
    recomputed whole, its columns brought to the model's (on_schema_change). A full refresh, and
    Spark (a table, row_replacing_materialization), rebuild them whole. -#}

{#- When this dbt invocation started (UTC): the rows a run writes carry it. -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- Aggregates of the model's stored rows before this run writes (`expressions`: name -> SQL
    aggregate over `columns`), or none when the model is built whole (first run,
    --full-refresh, a table, a unit test). `outdated_layout` says the stored table lacks one of
    `columns` (the aggregates are then none). -#}
{% macro stored_state(expressions, columns) -%}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set names = expressions.keys() | list -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this)
        | map(attribute='name') | map('lower') | list -%}
    {%- if columns | reject('in', stored_columns) | list -%}
        {%- set state = {'outdated_layout': true} -%}
        {%- for name in names %}{% do state.update({name: none}) %}{% endfor -%}
        {{ return(state) }}
    {%- endif -%}
    {%- set query -%}
        select
        {%- for name in names %}
            {{ expressions[name] }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ this }}
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- set state = {'outdated_layout': false} -%}
    {%- for name in names -%}
        {%- do state.update({name: row[loop.index0]}) -%}
    {%- endfor -%}
    {{ return(state) }}
{%- endmacro %}

{#- The leads with an erasure request: their events are re-read from raw on every run. -#}
{% macro erasure_request_leads() -%}
    select lead_id
    from {{ ref('stg_landing__privacy_requests') }}
    where request_type = 'erasure' and lead_id is not null
{%- endmacro %}

{#- One text for the page_categories seed's content: an aggregate over the seed's rows. -#}
{% macro page_categories_fingerprint() -%}
    {{ dbt.hash(dbt.listagg(
        text_key(['priority', 'url_pattern', 'page_category'], null_text='~'),
        "'\n'",
        "order by priority nulls first, url_pattern nulls first, page_category nulls first"
    )) }}
{%- endmacro %}

{#- int_events_categorized's stored state: loaded_through (its latest raw load) and
    recategorize_all (nothing stored, an outdated layout, or categorized with another
    page_categories seed). -#}
{% macro events_categorized_state() -%}
    {%- set state = stored_state({
        'loaded_through': 'max(loaded_at)',
        'fingerprint': 'max(config_fingerprint)'
    }, columns=['loaded_at', 'config_fingerprint', 'computed_at']) -%}
    {%- if state is not none and state.outdated_layout -%}
        {%- do state.update({'recategorize_all': true}) -%}
    {%- elif state is not none -%}
        {%- set seed = ref('page_categories') -%}
        {%- set current = run_query(
            'select ' ~ page_categories_fingerprint() ~ ' from ' ~ seed
        ).rows[0][0] -%}
        {%- do state.update({
            'recategorize_all': state.loaded_through is none or state.fingerprint != current
        }) -%}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}

{#- Pre-hook of int_events_categorized: delete the events this run categorizes again. -#}
{% macro delete_events_to_recategorize() -%}
    {%- set state = events_categorized_state() -%}
    {%- if state is not none %}
        delete from {{ this }}
        {%- if not state.recategorize_all %}
        where lead_id in ({{ erasure_request_leads() }})
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- One text for which events count as activity (var non_activity_event_types). -#}
{% macro activity_events_fingerprint() -%}
    {{ return(local_md5(tojson(var('non_activity_event_types') | sort))) }}
{%- endmacro %}

{#- One text for the behavioural (event) rules' definitions, computed in Jinja. -#}
{% macro event_rules_fingerprint() -%}
    {%- set rules = scoring_config()['rules'] | selectattr('context', 'equalto', 'event') | list -%}
    {{ return(local_md5(tojson(rules, sort_keys=true))) }}
{%- endmacro %}

{#- A per lead and day event table's stored state: computed_through (its last run), last_day
    (its latest day) and recompute_all: nothing stored, an outdated layout, rows computed from
    other rules (when the table depends on `fingerprint`), or every event of `events`
    categorized since its last run (an edited seed): the incremental path holds the events it
    recomputes as one CTE, which must stay small. -#}
{% macro lead_day_state(events, fingerprint=none) -%}
    {%- set columns = ['computed_at', 'activity_date'] -%}
    {%- if fingerprint is not none %}{% do columns.append('config_fingerprint') %}{% endif -%}
    {%- set state = stored_state({
        'computed_through': 'max(computed_at)',
        'last_day': 'max(activity_date)',
        'fingerprint': 'max(config_fingerprint)' if fingerprint is not none else 'null'
    }, columns=columns) -%}
    {%- if state is not none -%}
        {%- set recompute_all = state.outdated_layout
            or state.last_day is none
            or state.fingerprint != fingerprint -%}
        {%- if not recompute_all -%}
            {%- set recompute_all = run_query(
                "select min(computed_at) > cast('" ~ state.computed_through
                ~ "' as timestamp) from " ~ events
            ).rows[0][0] -%}
        {%- endif -%}
        {%- do state.update({'recompute_all': recompute_all}) -%}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}

{#- The lead-days up to the as-of day that a per lead and day table recomputes (see the
    header), from `events` (int_events_categorized). -#}
{% macro lead_days_to_recompute(events, state) -%}
    select distinct
        lead_id,
        cast(occurred_at as date) as activity_date
    from {{ events }}
    where
        occurred_at < {{ as_of_end() }}
        and (
            computed_at > cast('{{ state.computed_through }}' as timestamp)
            or occurred_at >= {{ day_end("cast('" ~ state.last_day ~ "' as date)") }}
        )
{%- endmacro %}

{#- Every event of the lead-days to recompute, every column of `events`. -#}
{% macro events_to_recompute(events, state) -%}
    select events.*
    from {{ events }} as events
    inner join ({{ lead_days_to_recompute(events, state) }}) as recomputed
        on
            events.lead_id = recomputed.lead_id
            and cast(events.occurred_at as date) = recomputed.activity_date
{%- endmacro %}

{#- Pre-hook of a per lead and day event table: delete the lead-days this run recomputes and
    the days after the as-of day. -#}
{% macro delete_lead_days_to_recompute(events, fingerprint=none) -%}
    {%- set state = lead_day_state(events, fingerprint) -%}
    {%- if state is not none %}
        delete from {{ this }}
        {%- if not state.recompute_all %}
        where
            activity_date > {{ as_of_date() }}
            or exists (
                select 1
                from ({{ lead_days_to_recompute(events, state) }}) as recomputed
                where
                    recomputed.lead_id = {{ this }}.lead_id
                    and recomputed.activity_date = {{ this }}.activity_date
            )
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
