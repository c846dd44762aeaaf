with

source as (

    select * from {{ source('landing', 'privacy_requests') }}

),

final as (

    select
        request_type,
        requested_at,
        lead_id,
        lower(email) as email,
        _source_file as source_file,
        _row_number as source_row_number

    from source

)

select * from final
