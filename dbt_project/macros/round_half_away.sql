{#- Round to `digits` decimals, halves away from zero (2.5 -> 3, -2.5 -> -3) on every warehouse:
    PostgreSQL rounds a double's halves to even (scores would differ by a point) and rounds to
    decimals only for numeric. -#}
{% macro round_half_away(expression, digits=0) -%}
    {{ return(adapter.dispatch('round_half_away')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_half_away(expression, digits) -%}
    round({{ expression }}{% if digits %}, {{ digits }}{% endif %})
{%- endmacro %}

{% macro postgres__round_half_away(expression, digits) -%}
    round(cast({{ expression }} as numeric), {{ digits }})
{%- endmacro %}
