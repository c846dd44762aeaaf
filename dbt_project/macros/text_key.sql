{#- A readable key from several columns: their text values joined by '|'. With `null_text`, a
    null column reads as that text (a fingerprint of rows with nulls); without, the key of a row
    with a null column is null. -#}
{% macro text_key(columns, null_text=none) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- set text = dbt.cast(column, api.Column.translate_type("string")) -%}
        {%- if null_text is not none -%}
            {%- set text = "coalesce(" ~ text ~ ", '" ~ null_text ~ "')" -%}
        {%- endif -%}
        {%- do parts.append(text) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
