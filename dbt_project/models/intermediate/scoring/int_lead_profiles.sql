-- One row per lead with the columns demographic and firmographic rules may name: the lead, its
-- account, and the custom attributes the rules use (lead_attribute__<name>,
-- account_attribute__<name>, as text). days_since_created is added per day by score_ledger.

with

leads as (

    select * from {{ ref('stg_landing__leads') }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

profiles as (

    {{ lead_profiles_sql(scoring_config()['attributes'], 'leads', 'accounts') }}

),

final as (

    select * from profiles

)

select * from final
