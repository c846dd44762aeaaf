{#- A double-precision float on every adapter (dbt.type_float() is 4-byte on DuckDB, too coarse
    for rates and decayed points that must reconcile). -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
