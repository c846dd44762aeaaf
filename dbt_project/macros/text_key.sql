{#- A readable key from several columns: their text values joined by '|'. -#}
{% macro text_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append(dbt.cast(column, api.Column.translate_type("string"))) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
