with

source as (

    select * from {{ source('landing', 'accounts') }}

),

numbered as (

    select
        *,
        {{ version_number(['account_id']) }} as version_number
    from source

),

-- The version in effect at the end of the as-of day: an update made after it is not known on
-- that day (a run for a past day must not score it with later data).
versions as (

    select
        *,
        {{ latest_version_rank(['account_id']) }} as version_rank
    from numbered
    where {{ version_took_effect_by('version_number', as_of_end()) }}

),

final as (

    select
        {{ account_record_columns() }}
    from versions
    where version_rank = 1

)

select * from final
