{#- The model review's settings (scoring/review.yml, validated by orchestration/review/settings.py),
    passed with the scoring rules as the var `review` by every dbt run of `leadqual` and Dagster.
    Parsing gets defaults; running a review model without them fails with a pointer. -#}
{% macro review_settings() -%}
    {%- set settings = var('review', none) -%}
    {%- if settings is string -%}
        {%- set settings = fromjson(settings) -%}
    {%- endif -%}
    {%- if settings is none -%}
        {%- if execute and flags.WHICH in ['run', 'build', 'test'] -%}
            {{ exceptions.raise_compiler_error(
                "The review settings were not passed to dbt. Run the model review through "
                ~ "`leadqual review`, or dbt through `leadqual dbt " ~ flags.WHICH ~ " ...`."
            ) }}
        {%- endif -%}
        {{ return({
            'target': 'opportunity', 'decision_horizon_days': 14, 'outcome_window_days': 90,
            'holdout_percent': 30, 'weekly_sales_capacity': none,
            'calibration': {
                'min_support': 30, 'smoothing_cycles': 20, 'points_per_log_odds': 10,
                'numeric_bins': 5, 'max_values_per_attribute': 12
            }
        }) }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}

{#- [{name, scoring}, ...]: the live rules first (named live), then the other configurations
    under review. The model review writes those to the table review.review_configurations
    before it runs dbt (a table, not a var: a changed var makes dbt parse the project again). -#}
{% macro review_configs() -%}
    {%- set configs = [{'name': 'live', 'scoring': scoring_config()}] -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema='review', identifier='review_configurations'
        ) -%}
        {%- if relation is not none -%}
            {%- set rows = run_query(
                'select scoring_config, scoring from ' ~ relation
                ~ " where scoring_config != 'live' order by position"
            ) -%}
            {%- for row in rows -%}
                {%- do configs.append({'name': row[0], 'scoring': fromjson(row[1])}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(configs) }}
{%- endmacro %}

{#- Every custom attribute any configuration under review names, once. -#}
{% macro review_attributes() -%}
    {%- set seen = [] -%}
    {%- set attributes = [] -%}
    {%- for config in review_configs() -%}
        {%- for attribute in config['scoring']['attributes'] if attribute['column'] not in seen -%}
            {%- do seen.append(attribute['column']) -%}
            {%- do attributes.append(attribute) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(attributes) }}
{%- endmacro %}

{#- A stable bucket 0-99 from a text key, to split lead cycles into training and holdout. -#}
{% macro hash_bucket(column) -%}
    {{ return(adapter.dispatch('hash_bucket')(column)) }}
{%- endmacro %}

{% macro default__hash_bucket(column) -%}
    cast(hash({{ column }}) % 100 as integer)
{%- endmacro %}

{% macro postgres__hash_bucket(column) -%}
    abs(hashtext({{ column }})) % 100
{%- endmacro %}

{% macro spark__hash_bucket(column) -%}
    pmod(hash({{ column }}), 100)
{%- endmacro %}

{#- Log-odds of a rate, the rate kept inside (0, 1). -#}
{% macro logit(rate) -%}
    ln(least(greatest({{ rate }}, 1e-6), 1 - 1e-6) / (1 - least(greatest({{ rate }}, 1e-6), 1 - 1e-6)))
{%- endmacro %}

{#- A rate pulled towards `prior` as if `strength` average cases were added (m-estimate). -#}
{% macro smoothed_rate(hits, cases, prior, strength) -%}
    ({{ hits }} + {{ strength }} * {{ prior }}) / ({{ cases }} + {{ strength }})
{%- endmacro %}

{#- A text value as a number, null when it is not one. -#}
{% macro text_to_double(expression) -%}
    {{ return(adapter.dispatch('text_to_double')(expression)) }}
{%- endmacro %}

{% macro default__text_to_double(expression) -%}
    try_cast({{ expression }} as {{ type_double() }})
{%- endmacro %}

{% macro postgres__text_to_double(expression) -%}
    case
        when {{ expression }} ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$'
            then cast({{ expression }} as {{ type_double() }})
    end
{%- endmacro %}
