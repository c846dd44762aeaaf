with

source as (

    select * from {{ source('landing', 'accounts') }}

),

versions as (

    select
        *,
        {{ latest_version_rank(['account_id']) }} as version_rank
    from source

),

final as (

    select
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

    from versions
    where version_rank = 1

)

select * from final
