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
        {{ account_record_columns() }}
    from versions
    where version_rank = 1

)

select * from final
