{#- Generic test: the model has at most one row per value of the given columns (after the
    test's optional where config). `recent_days`: for a history by as_of_date whose past days a
    daily run never rewrites, only its last days up to the as-of day are checked (the earlier
    ones were checked by the runs that wrote them), so the daily run does not group the whole
    history again (at 1,000,000 leads, 94 million snapshot rows: 9.5 s of a 197 s run). -#}
{% test one_row_per(model, columns, recent_days=none) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count
from {{ model }}
{%- if recent_days is not none %}
where as_of_date > cast({{ dbt.dateadd('day', -recent_days, as_of_date()) }} as date)
{%- endif %}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
