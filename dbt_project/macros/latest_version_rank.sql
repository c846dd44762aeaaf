{#- Rank the versions of a record in a raw table, 1 = the current one: the latest updated_at
    (when the entity has one), else the latest file, else the last row of that file. -#}
{% macro latest_version_rank(key_columns, has_updated_at=true) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by
            {% if has_updated_at %}updated_at desc nulls last, {% endif -%}
            _file_seq desc, _row_number desc
    )
{%- endmacro %}
