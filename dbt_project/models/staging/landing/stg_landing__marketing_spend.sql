with

source as (

    select * from {{ source('landing', 'marketing_spend') }}

),

versions as (

    select
        *,
        -- Keyed by the source as reported: a correction spelled Paid_Social replaces
        -- paid_social rather than adding to it.
        {{ latest_version_rank(
            ['spend_date', 'lower(source)', 'campaign'], has_updated_at=false
        ) }} as version_rank
    from source

),

final as (

    select
        spend_date,
        lower(source) as source,
        campaign,
        amount as spend_amount,
        upper(currency) as currency,
        _source_file as source_file

    from versions
    where version_rank = 1

)

select * from final
