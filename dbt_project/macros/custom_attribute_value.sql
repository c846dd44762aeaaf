{#- One custom attribute (an extra landing column, kept by ingest in a JSON object) as text.
    `name_expression` is SQL: a quoted name ('lead_origin') or a column holding names. The one
    place JSON is read; adapt it for another warehouse. -#}
{% macro custom_attribute_value(json_column, name_expression) -%}
    {{ return(adapter.dispatch('custom_attribute_value')(json_column, name_expression)) }}
{%- endmacro %}

{% macro default__custom_attribute_value(json_column, name_expression) -%}
    json_extract_string({{ json_column }}, '$."' || {{ name_expression }} || '"')
{%- endmacro %}

{% macro postgres__custom_attribute_value(json_column, name_expression) -%}
    cast({{ json_column }} as json) ->> {{ name_expression }}
{%- endmacro %}
