-- For every lead on the as-of day, the score ledger adds up to the combined score of the
-- snapshot, and each dimension's entries to that dimension's score: the snapshots are computed
-- by dimension, the ledger rule by rule. The as-of day is the day a daily run writes; the
-- ledger's earlier days (score_ledger_days) were checked by the runs that wrote them, and
-- summing all of them again cost 10 s of every daily run at 1,000,000 leads.
{{ config(meta={'dagster': {'ref': {'name': 'lead_score_snapshots'}}}) }}

with

ledger as (

    select * from {{ ref('score_ledger') }}
    where as_of_date = {{ as_of_date() }}

),

snapshots as (

    select * from {{ ref('lead_score_snapshots') }}
    where as_of_date = {{ as_of_date() }}

),

ledger_sums as (

    select
        as_of_date,
        lead_id,
        sum(points_counted) as combined_score,
        sum(case when dimension = 'demographic' then points_counted else 0 end) as demographic,
        sum(case when dimension = 'firmographic' then points_counted else 0 end) as firmographic,
        sum(case when dimension = 'behavioural' then points_counted else 0 end) as behavioural,
        sum(case when dimension = 'timing' then points_counted else 0 end) as timing
    from ledger
    group by as_of_date, lead_id

),

final as (

    select
        snapshots.as_of_date,
        snapshots.lead_id,
        snapshots.combined_score,
        coalesce(ledger_sums.combined_score, 0) as ledger_score
    from snapshots
    left join ledger_sums
        on
            snapshots.as_of_date = ledger_sums.as_of_date
            and snapshots.lead_id = ledger_sums.lead_id
    where
        snapshots.combined_score != coalesce(ledger_sums.combined_score, 0)
        or snapshots.demographic_score != coalesce(ledger_sums.demographic, 0)
        or snapshots.firmographic_score != coalesce(ledger_sums.firmographic, 0)
        or snapshots.behavioural_score != coalesce(ledger_sums.behavioural, 0)
        or snapshots.timing_score != coalesce(ledger_sums.timing, 0)

)

select * from final
