{#- Models with one slice of rows per as_of_date (scores, activity facts, the ledger) are
    incremental by day: each run replaces the days it computes. Where the warehouse can delete
    rows that is delete+insert on as_of_date; Spark's file tables cannot, so there the table is
    partitioned by day and the run overwrites the partitions it wrote. -#}
{#- The materialization of the by-day models: daily_batches (a full build a batch of days per
    query, see macros/materializations); on Spark, whose engine spreads a query over a cluster,
    plain incremental. -#}
{% macro daily_materialization() -%}
    {{ return(adapter.dispatch('daily_materialization')()) }}
{%- endmacro %}

{% macro default__daily_materialization() -%}
    {{ return('daily_batches') }}
{%- endmacro %}

{% macro spark__daily_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro daily_incremental_strategy() -%}
    {{ return(adapter.dispatch('daily_incremental_strategy')()) }}
{%- endmacro %}

{% macro default__daily_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__daily_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro daily_partition_by() -%}
    {{ return(adapter.dispatch('daily_partition_by')()) }}
{%- endmacro %}

{% macro default__daily_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__daily_partition_by() -%}
    {{ return(['as_of_date']) }}
{%- endmacro %}


{#- Drop the days of `relation` before `first_kept_day` (a date expression): a retention window.
    On Spark the days are partitions. -#}
{% macro drop_days_before(relation, first_kept_day) -%}
    {{ return(adapter.dispatch('drop_days_before')(relation, first_kept_day)) }}
{%- endmacro %}

{% macro default__drop_days_before(relation, first_kept_day) -%}
    delete from {{ relation }} where as_of_date < {{ first_kept_day }}
{%- endmacro %}

{% macro spark__drop_days_before(relation, first_kept_day) -%}
    alter table {{ relation }} drop if exists partition (as_of_date < {{ first_kept_day }})
{%- endmacro %}


{#- The materialization of the models that replace some of their rows on each run: the models
    incremental by lead (int_lead_stage_moments, delete+insert on lead_id) and the event tables
    incremental by load (macros/incremental_by_load.sql). Spark's file tables cannot delete rows,
    and its engine spreads the whole rebuild over a cluster: a table. -#}
{% macro row_replacing_materialization() -%}
    {{ return(adapter.dispatch('row_replacing_materialization')()) }}
{%- endmacro %}

{% macro default__row_replacing_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__row_replacing_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
