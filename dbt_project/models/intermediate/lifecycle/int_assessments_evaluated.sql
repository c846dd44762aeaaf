-- Sales assessments with the number of framework criteria met and whether the assessment
-- qualifies the lead for SQL: an accepted verdict that meets the framework's minimum criteria
-- (bant_min_criteria of the 4 BANT criteria, meddic_min_criteria of the 6 MEDDIC criteria, in
-- scoring/rules.yml).
{%- set thresholds = scoring_config()['thresholds'] %}
with

assessments as (

    select * from {{ ref('stg_landing__sales_qualifications') }}

),

counted as (

    select
        *,
        case
            when framework = 'bant'
                then
                    case when has_budget then 1 else 0 end
                    + case when has_authority then 1 else 0 end
                    + case when has_need then 1 else 0 end
                    + case when has_timeline then 1 else 0 end
            else
                case when has_metrics then 1 else 0 end
                + case when has_economic_buyer then 1 else 0 end
                + case when has_decision_criteria then 1 else 0 end
                + case when has_decision_process then 1 else 0 end
                + case when has_identified_pain then 1 else 0 end
                + case when has_champion then 1 else 0 end
        end as criteria_met,
        case when framework = 'bant' then 4 else 6 end as criteria_total,
        case
            when framework = 'bant' then {{ thresholds['bant_min_criteria'] }}
            else {{ thresholds['meddic_min_criteria'] }}
        end as criteria_required
    from assessments
    where assessed_at < {{ as_of_end() }}

),

final as (

    select
        *,
        coalesce(verdict = 'accepted' and criteria_met >= criteria_required, false)
            as is_sales_qualified
    from counted

)

select * from final
