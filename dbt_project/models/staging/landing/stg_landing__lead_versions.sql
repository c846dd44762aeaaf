-- Every version of each lead, oldest first, with the moment it took effect (valid_from: its
-- updated_at; null for the first version, and for a version without updated_at), so that a
-- point-in-time view can take the version that was current at a moment: the latest whose
-- valid_from is null or earlier.
with

source as (

    select * from {{ source('landing', 'leads') }}

),

versions as (

    select
        *,
        {{ version_number(['lead_id']) }} as version_number
    from source

),

final as (

    select
        {{ lead_record_columns() }},
        version_number,
        case when version_number > 1 then updated_at end as valid_from
    from versions

)

select * from final
