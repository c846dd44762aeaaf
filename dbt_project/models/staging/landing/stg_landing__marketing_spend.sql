with

source as (

    select * from {{ source('landing', 'marketing_spend') }}

),

versions as (

    select
        *,
        row_number() over (
            partition by spend_date, source, campaign
            order by _file_seq desc, _row_number desc
        ) as version_rank
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
