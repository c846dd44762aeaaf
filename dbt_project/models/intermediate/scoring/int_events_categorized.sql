-- Each event with its page category from the page_categories seed (the pattern with the lowest
-- priority number wins; page views that match none are 'other'). Behavioural rules read these
-- columns: event_type, page_category, page_url, properties. A site has far fewer pages than
-- events, so the patterns are matched once per distinct page address, then joined.
-- Incremental by load (macros/incremental_by_load.sql): a run categorizes the events loaded
-- since the previous one and again every event of the leads with an erasure request (raw is
-- redacted, and this table holds page addresses and properties too); a changed seed
-- re-categorizes every event.
-- depends_on: {{ ref('stg_landing__privacy_requests') }}
{{ config(
    materialized=row_replacing_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ delete_events_to_recategorize() }}"
) }}
{%- set state = events_categorized_state() %}

with

events as (

    select * from {{ ref('stg_landing__events') }}
    {%- if state is not none and not state.recategorize_all %}
    where
        loaded_at > cast('{{ state.loaded_through }}' as timestamp)
        or lead_id in ({{ erasure_request_leads() }})
    {%- endif %}

),

page_categories as (

    select * from {{ ref('page_categories') }}

),

seed_version as (

    select {{ page_categories_fingerprint() }} as config_fingerprint
    from page_categories

),

pages as (

    select distinct page_url
    from events
    where event_type = 'page_view'

),

page_matches as (

    select
        pages.page_url,
        page_categories.page_category,
        row_number() over (
            partition by pages.page_url
            order by page_categories.priority
        ) as match_rank
    from pages
    inner join page_categories
        on pages.page_url like page_categories.url_pattern

),

final as (

    select
        events.event_id,
        events.lead_id,
        events.event_type,
        events.occurred_at,
        events.page_url,
        events.properties_json as properties,
        case
            when events.event_type = 'page_view'
                then coalesce(page_matches.page_category, 'other')
        end as page_category,
        events.loaded_at,
        seed_version.config_fingerprint,
        {{ run_started_timestamp() }} as computed_at
    from events
    cross join seed_version
    left join page_matches
        on
            events.page_url = page_matches.page_url
            and page_matches.match_rank = 1

)

select * from final
