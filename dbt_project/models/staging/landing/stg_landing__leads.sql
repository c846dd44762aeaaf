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
        {{ lead_record_columns() }}
    from versions
    where version_rank = 1

)

select * from final
