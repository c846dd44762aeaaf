-- What the outcomes say about each value of each lead and account attribute, on the training
-- cycles, as it was on each cycle's decision day: the profile columns rules may name and every
-- custom attribute (extra landing columns), so that a deployment with custom attributes alone
-- still gets a calibrated model. A numeric
-- attribute (a custom one whose values are numbers) is cut into numeric_bins bins of about equal
-- size, their edges rounded to two significant digits; a missing value is a value of its own.
-- Per value: cycles, conversions, the weight of evidence (smoothed log-odds against the overall
-- rate) and the points it suggests, when it has min_support cycles and is among the
-- max_values_per_attribute best supported values of its attribute.
{%- set settings = review_settings()['calibration'] %}
{%- set categorical_columns = [
    ('source', 'lead'), ('country_code', 'lead'), ('has_marketing_consent', 'lead'),
    ('industry', 'account'),
] %}
{%- set numeric_columns = [
    ('employee_count', 'account'), ('company_age_years', 'account'),
    ('annual_revenue', 'account'), ('budget', 'account'), ('growth_rate', 'account'),
] %}
{%- set categorical_names = categorical_columns | map('first') | list %}
{%- set numeric_names = numeric_columns | map('first') | list %}

with

scores as (

    select * from {{ ref('review_scores') }}
    where scoring_config = 'live' and split = 'training'

),

profiles as (

    select * from {{ ref('review_lead_profiles') }}

),

custom_attributes as (

    select * from {{ ref('int_custom_attributes_unpivoted') }}

),

attribute_names as (

    select distinct
        entity_type,
        attribute_name
    from custom_attributes

),

-- Custom attributes as they were on the decision day (the JSON of the versions then).
custom_values as (

    select
        profiles.lead_id,
        profiles.profile_date,
        attribute_names.entity_type || '_attribute__' || attribute_names.attribute_name
            as attribute,
        attribute_names.entity_type as attribute_entity,
        case attribute_names.entity_type
            when 'lead' then {{ custom_attribute_value(
                'profiles.lead_custom_attributes_json', 'attribute_names.attribute_name'
            ) }}
            else {{ custom_attribute_value(
                'profiles.account_custom_attributes_json', 'attribute_names.attribute_name'
            ) }}
        end as value_text
    from profiles
    cross join attribute_names

),

attribute_values as (

    {%- for column, entity in categorical_columns + numeric_columns %}
    select
        lead_id,
        profile_date,
        '{{ column }}' as attribute,
        '{{ entity }}' as attribute_entity,
        cast({{ column }} as {{ dbt.type_string() }}) as value_text,
        {%- if (column, entity) in numeric_columns %}
        cast({{ column }} as {{ type_double() }}) as value_number
        {%- else %}
        cast(null as {{ type_double() }}) as value_number
        {%- endif %}
    from profiles
    union all
    {%- endfor %}
    select
        lead_id,
        profile_date,
        attribute,
        attribute_entity,
        value_text,
        {{ text_to_double('value_text') }} as value_number
    from custom_values

),

attributes as (

    select
        attribute,
        max(attribute_entity) as attribute_entity,
        -- Numbers: the profile's numeric columns, and custom attributes whose values are
        -- (almost) all numbers with enough distinct values to bin.
        case
            when attribute in ('{{ numeric_names | join("', '") }}') then 'numeric'  -- noqa: LT05
            when
                attribute not in ('{{ categorical_names | join("', '") }}')  -- noqa: LT05
                and count(value_number) >= 0.95 * count(value_text)
                and count(distinct value_number) >= {{ 2 * settings['numeric_bins'] }}
                then 'numeric'
            else 'categorical'
        end as attribute_kind
    from attribute_values
    where value_text is not null
    group by attribute

),

cycle_values as (

    select
        scores.lead_outcome_id,
        scores.is_converted,
        attributes.attribute,
        attributes.attribute_entity,
        attributes.attribute_kind,
        attribute_values.value_text,
        attribute_values.value_number
    from scores
    cross join attributes
    left join attribute_values
        on
            scores.lead_id = attribute_values.lead_id
            and scores.decision_date = attribute_values.profile_date
            and attributes.attribute = attribute_values.attribute

),

quantiles as (

    {%- for step in range(1, settings['numeric_bins']) %}
    select
        attribute,
        percentile_cont({{ step / settings['numeric_bins'] }}) within group (
            order by value_number
        ) as edge
    from cycle_values
    where attribute_kind = 'numeric' and value_number is not null
    group by attribute
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

edges as (

    select distinct
        attribute,
        case
            when edge = 0 then 0
            else round(edge, 1 - cast(floor(log10(abs(edge))) as integer))
        end as edge
    from quantiles

),

bins as (

    select
        attribute,
        lag(edge) over (partition by attribute order by edge) as lower_bound,
        edge as upper_bound
    from edges

    union all

    select
        attribute,
        max(edge) as lower_bound,
        cast(null as {{ type_double() }}) as upper_bound
    from edges
    group by attribute

),

valued as (

    select
        cycle_values.lead_outcome_id,
        cycle_values.is_converted,
        cycle_values.attribute,
        cycle_values.attribute_entity,
        cycle_values.attribute_kind,
        case
            when cycle_values.attribute_kind = 'numeric' and cycle_values.value_number is null
                then 'missing'
            when cycle_values.value_text is null then 'missing'
            when cycle_values.attribute_kind = 'numeric' then 'range'
            else 'value'
        end as value_kind,
        case when cycle_values.attribute_kind = 'categorical' then cycle_values.value_text end
            as value_text,
        bins.lower_bound,
        bins.upper_bound
    from cycle_values
    left join bins
        on
            cycle_values.attribute = bins.attribute
            and cycle_values.value_number is not null
            and (bins.lower_bound is null or cycle_values.value_number >= bins.lower_bound)
            and (bins.upper_bound is null or cycle_values.value_number < bins.upper_bound)

),

overall as (

    select
        count(*) as cycles,
        {{ safe_rate('sum(case when is_converted then 1 else 0 end)', 'count(*)') }}
            as conversion_rate
    from scores

),

counted as (

    select
        attribute,
        attribute_entity,
        attribute_kind,
        value_kind,
        value_text,
        lower_bound,
        upper_bound,
        count(*) as cycles,
        sum(case when is_converted then 1 else 0 end) as converted
    from valued
    group by
        attribute, attribute_entity, attribute_kind, value_kind, value_text, lower_bound,
        upper_bound

),

evidence as (

    select
        counted.*,
        {{ safe_rate('counted.converted', 'counted.cycles') }} as conversion_rate,
        {{ logit(smoothed_rate(
            'counted.converted', 'counted.cycles', 'overall.conversion_rate',
            settings['smoothing_cycles']
        )) }}
        - {{ logit('overall.conversion_rate') }} as weight_of_evidence,
        row_number() over (
            partition by counted.attribute
            order by counted.cycles desc, counted.value_text asc, counted.lower_bound asc
        ) as support_rank
    from counted
    cross join overall

),

supported as (

    select
        *,
        cycles >= {{ settings['min_support'] }}
        and support_rank <= {{ settings['max_values_per_attribute'] }} as is_supported
    from evidence

),

final as (

    select
        attribute,
        attribute_entity,
        attribute_kind,
        value_kind,
        value_text,
        lower_bound,
        upper_bound,
        cycles,
        converted,
        conversion_rate,
        round(weight_of_evidence, 4) as weight_of_evidence,
        is_supported,
        case
            when is_supported
                then cast(round(
                    {{ settings['points_per_log_odds'] }} * weight_of_evidence
                ) as integer)
        end as suggested_points
    from supported

)

select * from final
