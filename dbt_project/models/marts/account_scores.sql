-- Account roll-up for the buying group: how many contacts of the account are engaged, how many
-- distinct seniorities they cover, the best and summed lead scores, and an account-level MQL
-- flag, so that an engaged account surfaces even when no single lead crosses a threshold.
with

leads as (

    select * from {{ ref('leads') }}
    where account_id is not null

),

accounts as (

    select * from {{ ref('stg_landing__accounts') }}

),

contacts as (

    select
        account_id,
        lead_id,
        fit_score,
        engagement_score,
        combined_score,
        lifecycle_stage,
        engagement_score >= {{ var('account_engaged_contact_min_engagement') }} as is_engaged,
        case
            when
                lower(job_title) like '%chief%'
                or lower(job_title) like 'c_o'
                or lower(job_title) like '%founder%'
                then 'c_level'
            when lower(job_title) like 'vp%' or lower(job_title) like '%vice president%'
                then 'vp'
            when lower(job_title) like '%director%' or lower(job_title) like '%head of%'
                then 'director'
            when lower(job_title) like '%manager%' or lower(job_title) like '%lead%'
                then 'manager'
            else 'individual'
        end as seniority
    from leads

),

rolled_up as (

    select
        account_id,
        count(*) as contacts,
        sum(case when is_engaged then 1 else 0 end) as engaged_contacts,
        count(distinct case when is_engaged then seniority end) as engaged_seniorities,
        max(fit_score) as best_fit_score,
        max(combined_score) as best_lead_score,
        sum(combined_score) as summed_lead_score,
        sum(engagement_score) as summed_engagement_score,
        sum(
            case
                when lifecycle_stage in ('mql', 'sql', 'opportunity', 'won') then 1 else 0
            end
        ) as qualified_contacts
    from contacts
    group by account_id

),

final as (

    select
        rolled_up.account_id,
        accounts.company_name,
        accounts.industry,
        accounts.employee_count,
        rolled_up.contacts,
        rolled_up.engaged_contacts,
        rolled_up.engaged_seniorities,
        rolled_up.best_fit_score,
        rolled_up.best_lead_score,
        rolled_up.summed_lead_score,
        rolled_up.summed_engagement_score,
        rolled_up.best_fit_score
        + least(rolled_up.summed_engagement_score, 100) as account_score,
        rolled_up.qualified_contacts,
        rolled_up.engaged_contacts >= {{ var('account_mql_min_engaged_contacts') }}
        and rolled_up.summed_engagement_score >= {{ var('account_mql_min_summed_engagement') }}
            as is_account_mql,
        rolled_up.engaged_contacts >= {{ var('account_mql_min_engaged_contacts') }}
        and rolled_up.summed_engagement_score >= {{ var('account_mql_min_summed_engagement') }}
        and rolled_up.qualified_contacts = 0 as is_surfaced_by_account_only,
        {{ as_of_date() }} as as_of_date
    from rolled_up
    left join accounts
        on rolled_up.account_id = accounts.account_id

)

select * from final
