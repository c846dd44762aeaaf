with

source as (

    select * from {{ source('landing', 'opportunities') }}

),

versions as (

    select
        *,
        {{ latest_version_rank(['opportunity_id']) }} as version_rank
    from source

),

final as (

    select
        opportunity_id,
        lead_id,
        account_id,
        created_at,
        lower(stage) as opportunity_stage,
        amount,
        upper(currency) as currency,
        closed_at,
        closed_at is not null as is_closed,
        coalesce(is_won, false) as is_won,
        lost_reason,
        owner,
        updated_at,
        _source_file as source_file

    from versions
    where version_rank = 1

)

select * from final
