with

source as (

    select * from {{ source('landing', 'events') }}

),

final as (

    select
        event_id,
        lead_id,
        event_type,
        occurred_at,
        lower(page_url) as page_url,
        properties as properties_json,
        _source_file as source_file,
        _load_id as load_id,
        _loaded_at as loaded_at

    from source

)

select * from final
