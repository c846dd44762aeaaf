-- The profile columns of every lead, with each custom attribute any configuration under review
-- names (the live rules may not use the ones a candidate does).
with

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

custom_attributes as (

    select * from {{ ref('int_custom_attributes_unpivoted') }}

),

profiles as (

    {{ lead_profiles_sql(review_attributes(), 'leads', 'accounts', 'custom_attributes') }}

),

final as (

    select * from profiles

)

select * from final
