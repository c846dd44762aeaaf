{#- Generic test: the model has at most one row per value of the given columns (after the
    test's optional where config). Two ways to check only what recent runs wrote, so a daily run
    does not group the whole table again:
    - `recent_days`: for a history by as_of_date whose past days a daily run never rewrites, only
      its last days up to the as-of day are checked (the earlier ones were checked by the runs
      that wrote them; at 1,000,000 leads, 94 million snapshot rows: 9.5 s of a 197 s run).
    - `computed_at`: for a model that adds rows by run (incremental by load), a column holding
      when the row was computed; the keys of the rows computed in the `computed_within_days`
      days up to the latest run are checked against every row, so a new row that repeats an
      old key fails too, and a failing run's rows are checked again by the runs of those days
      (at 1M leads the event table's keys: 0.3 s instead of 1.8 s a daily run). While most
      rows are recent (the week after a full build) the whole table is grouped. Only for tables
      no hand edits reach: a copy of old rows keeps its old computed_at. -#}
{% test one_row_per(model, columns, recent_days=none, computed_at=none, computed_within_days=7) %}
{%- set key = columns | join(', ') %}
{%- set only_recent = false %}
{#- Not when only compiling against a warehouse without the table. #}
{%- if computed_at is not none and execute and load_relation(model) is not none %}
    {%- set recent = computed_at ~ ' >= ' ~ dbt.dateadd(
        'day', -computed_within_days, '(select max(' ~ computed_at ~ ') from ' ~ model ~ ')'
    ) %}
    {#- In the week after a full build every row is recent, and grouping the whole table is
        cheaper than filtering it by the recent keys first. #}
    {%- set counts = run_query(
        'select count(*), count(case when ' ~ recent ~ ' then 1 end) from ' ~ model
    ).rows[0] %}
    {%- set only_recent = counts[1] * 2 < counts[0] %}
{%- endif %}

select
    {{ key }},
    count(*) as row_count
from {{ model }}
{%- if only_recent %}
where ({{ key }}) in (
    select {{ key }} from {{ model }} where {{ recent }}
)
{%- elif recent_days is not none %}
where as_of_date > cast({{ dbt.dateadd('day', -recent_days, as_of_date()) }} as date)
{%- endif %}
group by {{ key }}
having count(*) > 1

{% endtest %}
