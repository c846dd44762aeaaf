{#- The columns of a lead and of an account record as staging names and casts them: shared by
    the current-version views (stg_landing__leads, stg_landing__accounts) and the all-versions
    views (stg_landing__lead_versions, stg_landing__account_versions). -#}
{% macro lead_record_columns() -%}
lead_id,
        account_id,
        created_at,
        lower(email) as email,
        {{ dbt.split_part('lower(email)', "'@'", 2) }} as email_domain,
        first_name,
        last_name,
        job_title,
        company_name,
        lower(source) as source,
        campaign,
        upper(country) as country_code,
        coalesce(consent_marketing, false) as has_marketing_consent,
        coalesce(do_not_contact, false) as is_do_not_contact,
        updated_at,
        _extra_columns as custom_attributes_json,
        _source_file as source_file
{%- endmacro %}

{% macro account_record_columns() -%}
account_id,
        company_name,
        lower(domain) as company_domain,
        lower(industry) as industry,
        employee_count,
        upper(country) as country_code,
        founded_year,
        annual_revenue,
        budget,
        growth_rate,
        replace(lower(tech_stack), ' ', '') as tech_stack,
        updated_at,
        _extra_columns as custom_attributes_json,
        _source_file as source_file
{%- endmacro %}
