-- One row per lead with the columns demographic and firmographic rules may name: the lead, its
-- account, and the custom attributes the rules use (lead_attribute__<name>,
-- account_attribute__<name>, as text). days_since_created is added per day by score_ledger.
{%- set attributes = scoring_config()['attributes'] %}

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

lead_attributes as (

    select entity_id as lead_id
    {%- for attribute in attributes if attribute['entity'] == 'lead' %},
        max(
            case when attribute_name = '{{ attribute["name"] }}' then attribute_value end
        ) as {{ attribute['column'] }}
        {%- endfor %}
    from custom_attributes
    where entity_type = 'lead'
    group by entity_id

),

account_attributes as (

    select entity_id as account_id
    {%- for attribute in attributes if attribute['entity'] == 'account' %},
        max(
            case when attribute_name = '{{ attribute["name"] }}' then attribute_value end
        ) as {{ attribute['column'] }}
        {%- endfor %}
    from custom_attributes
    where entity_type = 'account'
    group by entity_id

),

final as (

    select
        leads.lead_id,
        leads.created_at,
        lower(leads.job_title) as job_title,
        leads.email,
        leads.email_domain,
        leads.source,
        leads.campaign,
        coalesce(accounts.country_code, leads.country_code) as country_code,
        leads.has_marketing_consent,
        leads.is_do_not_contact,
        accounts.industry,
        accounts.employee_count,
        extract(year from {{ as_of_date() }}) - accounts.founded_year as company_age_years,
        accounts.annual_revenue,
        accounts.budget,
        accounts.growth_rate,
        accounts.tech_stack,
        accounts.company_domain
    {%- for attribute in attributes %},
        {{ attribute['entity'] }}_attributes.{{ attribute['column'] }}
        {%- endfor %}
    from leads
    left join accounts
        on leads.account_id = accounts.account_id
    left join lead_attributes
        on leads.lead_id = lead_attributes.lead_id
    left join account_attributes
        on leads.account_id = account_attributes.account_id

)

select * from final
