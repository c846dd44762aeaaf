-- Each event with its page category from the page_categories seed (the pattern with the lowest
-- priority number wins; page views that match none are 'other'). Behavioural rules read these
-- columns: event_type, page_category, page_url, properties. A site has far fewer pages than
-- events, so the patterns are matched once per distinct page address, then joined.
with

events as (

    select * from {{ ref('stg_landing__events') }}

),

page_categories as (

    select * from {{ ref('page_categories') }}

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
        end as page_category
    from events
    left join page_matches
        on
            events.page_url = page_matches.page_url
            and page_matches.match_rank = 1

)

select * from final
