-- Each event with its page category (from the page_categories seed), its scoring signal and the
-- behavioural points it is worth (var behavioural_points). Events after the as-of day are left
-- out so that a past as-of date reproduces the scores of that day.
with

events as (

    select * from {{ ref('stg_landing__events') }}

),

page_categories as (

    select * from {{ ref('page_categories') }}

),

page_matches as (

    select
        events.event_id,
        page_categories.page_category,
        row_number() over (
            partition by events.event_id
            order by page_categories.priority
        ) as match_rank
    from events
    inner join page_categories
        on events.page_url like page_categories.url_pattern
    where events.event_type = 'page_view'

),

categorized as (

    select
        events.*,
        case
            when events.event_type = 'page_view'
                then coalesce(page_matches.page_category, 'other')
        end as page_category
    from events
    left join page_matches
        on
            events.event_id = page_matches.event_id
            and page_matches.match_rank = 1
    where events.occurred_at < {{ as_of_end() }}

),

signalled as (

    select
        *,
        case
            when event_type = 'page_view' then page_category || '_page_visit'
            else event_type
        end as signal
    from categorized

),

final as (

    select
        *,
        case signal
            {%- for signal, points in var('behavioural_points').items() %}
            when '{{ signal }}' then {{ points }}
            {%- endfor %}
            else 0
        end as behavioural_points
    from signalled

)

select * from final
