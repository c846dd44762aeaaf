-- Extra landing columns of leads and accounts (kept by ingest as JSON) as one row per entity,
-- attribute and value, so that scoring rules and calibration can use them.
with

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

custom_json as (

    select
        'lead' as entity_type,
        lead_id as entity_id,
        custom_attributes_json
    from leads
    where custom_attributes_json is not null

    union all

    select
        'account' as entity_type,
        account_id as entity_id,
        custom_attributes_json
    from accounts
    where custom_attributes_json is not null

),

final as (

    select
        custom_json.entity_type,
        custom_json.entity_id,
        json_key.attribute_name,
        {{ custom_attribute_value('custom_attributes_json', 'attribute_name') }} as attribute_value
    from {{ from_json_keys('custom_json', 'custom_attributes_json', 'attribute_name') }}

)

select * from final
