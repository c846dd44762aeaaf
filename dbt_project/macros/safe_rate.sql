{#- numerator / denominator as a fraction, null when the denominator is zero. -#}
{% macro safe_rate(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
