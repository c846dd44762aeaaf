with

source as (

    select * from {{ source('landing', 'sales_qualification') }}

),

final as (

    select
        {{ text_key(['lead_id', 'assessed_at', 'framework']) }} as assessment_id,
        lead_id,
        assessed_at,
        framework,
        budget as has_budget,
        authority as has_authority,
        need as has_need,
        timeline as has_timeline,
        metrics as has_metrics,
        economic_buyer as has_economic_buyer,
        decision_criteria as has_decision_criteria,
        decision_process as has_decision_process,
        identified_pain as has_identified_pain,
        champion as has_champion,
        verdict,
        reason as verdict_reason,
        assessed_by,
        _source_file as source_file

    from source

)

select * from final
