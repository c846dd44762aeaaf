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

{#- Number the versions of a record in a raw table, 1 = the first: the order of
    latest_version_rank, reversed. -#}
{% macro version_number(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by updated_at asc nulls first, _file_seq asc, _row_number asc
    )
{%- endmacro %}

{#- Whether a version (of a raw table with updated_at, numbered by version_number) took effect
    by `moment`: its first version stands from the record's creation, a later one from its
    updated_at (none: from the start, as stg_landing__*_versions date it). -#}
{% macro version_took_effect_by(version_number_column, moment) -%}
    ({{ version_number_column }} = 1 or updated_at is null or updated_at < {{ moment }})
{%- endmacro %}

{#- For each (key, profile_date) of `days`, the version of `versions` (a *_versions staging model)
    in effect at the end of that day: the latest whose valid_from is null or earlier. -#}
{% macro version_in_effect(versions, days, key_column) -%}
select * from (
    select
        days.profile_date,
        versions.*,
        row_number() over (
            partition by days.{{ key_column }}, days.profile_date
            order by versions.version_number desc
        ) as recency
    from {{ days }} as days
    inner join {{ versions }} as versions
        on
            days.{{ key_column }} = versions.{{ key_column }}
            and (
                versions.valid_from is null
                or versions.valid_from < {{ day_end('days.profile_date') }}
            )
) as effective
where recency = 1
{%- endmacro %}
