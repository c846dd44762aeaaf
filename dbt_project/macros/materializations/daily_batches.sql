{#- daily_batches: an incremental model with one slice of rows per as_of_date (daily scores,
    activity facts, the ledger, the score changes), built a batch of days per query. A full build of the score
    history is every lead on every one of its days; as one query its per-lead-day aggregations
    outgrow a bounded memory (DuckDB spills tens of GB), while a batch of days needs the memory of
    those days only. Each batch: the batch's days go into batch_days_relation(), which the model
    reads through score_days(); a full build creates an intermediate table from the first batch,
    inserts the others and swaps it in; a later run replaces the days it computes (delete+insert,
    usually the one new day). Batches hold var('score_batch_days') days, or the model's config
    batch_days where set, and are committed one by one. Spark builds the models as plain
    incremental models (see daily_materialization). -#}
{% materialization daily_batches, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set full_refresh = existing_relation is none or should_full_refresh()
        or not existing_relation.is_table -%}
    {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
    {%- set backup_relation = make_backup_relation(
        target_relation, existing_relation.type if existing_relation is not none else 'table'
    ) -%}
    {%- set build_relation = intermediate_relation if full_refresh else target_relation -%}
    {%- set days_relation = batch_days_relation() -%}
    {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
    {{ drop_relation_if_exists(load_cached_relation(days_relation)) }}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set day_range = run_query(
        'select ' ~ first_score_day(none if full_refresh else existing_relation)
        ~ ' as first_day, ' ~ as_of_date() ~ ' as last_day'
    ).rows[0] -%}
    {%- set first_day = day_range[0] -%}
    {%- set day_count = (day_range[1] - first_day).days + 1 -%}
    {%- set batch_days = (config.get('batch_days') or var('score_batch_days')) | int -%}
    {%- for offset in range(0, day_count, batch_days) %}
        {%- set batch_first = first_day + modules.datetime.timedelta(days=offset) -%}
        {%- set batch_last = first_day + modules.datetime.timedelta(
            days=[offset + batch_days, day_count] | min - 1) -%}
        {%- call statement('batch_days') -%}
            create table {{ days_relation }} as
            {{ day_series("'" ~ batch_first ~ "'", "'" ~ batch_last ~ "'") }}
        {%- endcall -%}
        {%- call statement('main') -%}
            {%- if full_refresh and loop.first -%}
                {{ get_create_table_as_sql(False, build_relation, sql) }}
            {%- else -%}
                delete from {{ build_relation }}
                where as_of_date in (select as_of_date from {{ days_relation }});
                insert into {{ build_relation }}
                select * from (
                    {{ sql }}
                ) as batch_rows
            {%- endif -%}
        {%- endcall -%}
        {{ drop_relation_if_exists(days_relation) }}
        {% do adapter.commit() %}
    {%- endfor %}

    {%- if full_refresh and existing_relation is not none -%}
        {% do adapter.rename_relation(existing_relation, backup_relation) %}
    {%- endif -%}
    {%- if full_refresh -%}
        {% do adapter.rename_relation(intermediate_relation, target_relation) %}
    {%- endif -%}
    {% do apply_grants(target_relation, config.get('grants'),
        should_revoke=should_revoke(existing_relation, full_refresh)) %}
    {% do persist_docs(target_relation, model) %}
    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {{ drop_relation_if_exists(backup_relation) }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- The table holding the days of the batch being built (see daily_batches). -#}
{% macro batch_days_relation() -%}
    {{ return(this.incorporate(
        path={'identifier': this.identifier ~ '__batch_days'}, type='table'
    )) }}
{%- endmacro %}
