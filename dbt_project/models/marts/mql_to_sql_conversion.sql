-- MQL to SQL conversion per month and source: of the leads that first became an MQL in the
-- month, how many have reached SQL (or a later stage) since.
with

leads as (

    select * from {{ ref('leads') }}

),

mqls as (

    select
        lead_id,
        coalesce(source, 'unknown') as source,
        cast({{ dbt.date_trunc('month', 'mql_at') }} as date) as mql_month,
        sql_at is not null as reached_sql
    from leads
    where mql_at is not null

),

final as (

    select
        mql_month,
        source,
        count(*) as mqls,
        sum(case when reached_sql then 1 else 0 end) as sqls,
        cast(sum(case when reached_sql then 1 else 0 end) as {{ dbt.type_float() }})
        / count(*) as mql_to_sql_rate
    from mqls
    group by mql_month, source

)

select * from final
