-- The reporting currency is listed once in the exchange rates, at 1.0: amounts already in it
-- keep their value, and a changed var reporting_currency needs the rates restated.
with

rates as (

    select * from {{ ref('exchange_rates') }}

),

reporting_currency as (

    select
        count(*) as listed,
        min(rate_to_reporting_currency) as lowest_rate,
        max(rate_to_reporting_currency) as highest_rate
    from rates
    where currency = '{{ var("reporting_currency") }}'

)

select * from reporting_currency
where listed != 1 or lowest_rate != 1.0 or highest_rate != 1.0
