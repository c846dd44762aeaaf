{#- One custom attribute (an extra landing column, kept by ingest in a JSON object) as text.
    `name_expression` is SQL: a quoted name ('lead_origin') or a column holding names. The one
    place JSON is read; adapt it for another warehouse. -#}
{% macro custom_attribute_value(json_column, name_expression) -%}
    {{ return(adapter.dispatch('custom_attribute_value')(json_column, name_expression)) }}
{%- endmacro %}

{% macro default__custom_attribute_value(json_column, name_expression) -%}
    json_extract_string({{ json_column }}, '$."' || {{ name_expression }} || '"')
{%- endmacro %}

{% macro postgres__custom_attribute_value(json_column, name_expression) -%}
    cast({{ json_column }} as json) ->> {{ name_expression }}
{%- endmacro %}

{% macro spark__custom_attribute_value(json_column, name_expression) -%}
    get_json_object({{ json_column }}, concat('$[\'', {{ name_expression }}, '\']'))
{%- endmacro %}


{#- `relation` (an alias in a from clause) joined with one row per key of its JSON object column
    `json_column`, the key in column `key_column`: the from clause of
    int_custom_attributes_unpivoted. -#}
{% macro from_json_keys(relation, json_column, key_column) -%}
    {{ return(adapter.dispatch('from_json_keys')(relation, json_column, key_column)) }}
{%- endmacro %}

{% macro default__from_json_keys(relation, json_column, key_column) -%}
    {{ relation }}, unnest(json_keys({{ relation }}.{{ json_column }})) as json_key ({{ key_column }})
{%- endmacro %}

{% macro postgres__from_json_keys(relation, json_column, key_column) -%}
    {{ relation }},
    jsonb_object_keys(cast({{ relation }}.{{ json_column }} as jsonb)) as json_key ({{ key_column }})
{%- endmacro %}

{% macro spark__from_json_keys(relation, json_column, key_column) -%}
    {{ relation }} lateral view explode(
        map_keys(from_json({{ relation }}.{{ json_column }}, 'map<string,string>'))
    ) json_key as {{ key_column }}
{%- endmacro %}
