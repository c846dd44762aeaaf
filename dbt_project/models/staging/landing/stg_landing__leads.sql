with

source as (

    select * from {{ source('landing', 'leads') }}

),

versions as (

    select
        *,
        {{ latest_version_rank(['lead_id']) }} as version_rank
    from source

),

final as (

    select
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

    from versions
    where version_rank = 1

)

select * from final
