-- Demographic and firmographic points per lead, one column per criterion so that every point
-- can be explained. Points and target lists are vars in dbt_project.yml.
{%- set demographic = var('demographic_points') %}
{%- set firmographic = var('firmographic_points') %}

with

leads as (

    -- Leads created after the as-of day do not exist yet on that day.
    select * from {{ ref('stg_landing__leads') }}
    where created_at < {{ as_of_end() }}

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

lead_profiles as (

    select
        leads.lead_id,
        lower(leads.job_title) as job_title,
        accounts.employee_count,
        accounts.industry,
        coalesce(accounts.country_code, leads.country_code) as country_code,
        accounts.founded_year,
        accounts.budget,
        accounts.growth_rate,
        accounts.tech_stack
    from leads
    left join accounts
        on leads.account_id = accounts.account_id

),

criteria as (

    select
        lead_id,
        case
            when employee_count between 50 and 5000
                then {{ demographic['company_size_fit'] }}
            else 0
        end as company_size_fit_points,
        case
            when
                industry in {{ quoted_list(var('target_industries')) }}
                then {{ demographic['target_industry'] }}
            else 0
        end as target_industry_points,
        case
            when
                country_code in {{ quoted_list(var('target_countries')) }}
                then {{ demographic['target_country'] }}
            else 0
        end as target_country_points,
        case
            when
                extract(year from {{ as_of_date() }}) - founded_year between 3 and 30
                then {{ demographic['established_company'] }}
            else 0
        end as established_company_points,
        case
            when
                job_title like '%chief%'
                or job_title like 'c_o'
                or job_title like 'vp%'
                or job_title like '%vice president%'
                or job_title like '%head of%'
                or job_title like '%director%'
                or job_title like '%founder%'
                then {{ demographic['senior_title'] }}
            else 0
        end as senior_title_points,
        case
            when budget >= 50000 then {{ firmographic['budget_fit'] }} else 0
        end as budget_fit_points,
        case
            when growth_rate >= 0.2 then {{ firmographic['high_growth'] }} else 0
        end as high_growth_points,
        case
            when
            {%- for tool in var('modern_stack_tools') %}
                {% if not loop.first %}or {% endif -%}
                ';' || tech_stack || ';' like '%;{{ tool }};%'
            {%- endfor %}
                then {{ firmographic['modern_data_stack'] }}
            else 0
        end as modern_data_stack_points
    from lead_profiles

),

final as (

    select
        *,
        company_size_fit_points
        + target_industry_points
        + target_country_points
        + established_company_points
        + senior_title_points as demographic_score,
        budget_fit_points
        + high_growth_points
        + modern_data_stack_points as firmographic_score
    from criteria

)

select * from final
