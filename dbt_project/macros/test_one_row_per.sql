{#- Generic test: the model has at most one row per value of the given columns
    (after the test's optional where config). -#}
{% test one_row_per(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as row_count
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
