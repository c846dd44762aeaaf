"""A lead built by hand, with its score computed by hand from dbt_project.yml's points.

As of 2026-06-30 (scores evaluated at the end of that day, 2026-07-01 00:00 UTC):

demographic  = 5 (200 employees) + 5 (software) + 5 (US) + 3 (founded 2015: 11 years)
               + 10 (VP title of the lead's second version)                          = 28
firmographic = 10 (budget 80,000) + 5 (growth 0.3) + 5 (snowflake in the stack)       = 20
behavioural  = 90-day window from 2026-04-02: e-mail click 3 + demo booked 25
               + 3 pricing visits x 10 + blog visit 0 (the 2026-03-22 pricing visit is
               older than 90 days)                                                    = 58
timing       = 15 (last activity 2026-06-29, within 7 days)
               + 10 (5 events since 2026-06-01, at least 5)                           = 25
total                                                                                 = 131

Stages (MQL threshold 100): created 2026-02-10 09:00 -> nurture 2026-03-12 09:00 (no MQL within
30 days) -> mql 2026-06-20 10:00. The score at each event, fit 48 + behavioural + timing:
  2026-03-22 pricing visit  48 + 10 + 15 (recency)                                  = 73
  2026-05-21 e-mail click   48 + 13 + 15                                             = 76
  2026-06-20 demo booked    48 + 38 (pricing, click, demo all within 90 days) + 15   = 101
"""

from pathlib import Path

LEAD_ID = "H-0001"
EXPECTED = {
    "demographic_score": 28,
    "firmographic_score": 20,
    "behavioural_score": 58,
    "timing_score": 25,
    "total_score": 131,
}
EXPECTED_STAGES = [
    ("lead", "2026-02-10 09:00:00"),
    ("nurture", "2026-03-12 09:00:00"),
    ("mql", "2026-06-20 10:00:00"),
]

FILES = {
    "accounts/zz_hand_built.csv": (
        "account_id,company_name,industry,employee_count,country,founded_year,budget,"
        "growth_rate,tech_stack,updated_at\n"
        "HA-0001,Hand Built Inc,Software,200,US,2015,80000,0.3,Snowflake; Excel,"
        "2026-02-01T00:00:00Z\n"
    ),
    "leads/zz_hand_built_1.csv": (
        "lead_id,created_at,email,job_title,account_id,source,country,consent_marketing,"
        "do_not_contact,updated_at,lead_origin\n"
        f"{LEAD_ID},2026-02-10T09:00:00Z,ada@handbuilt.example,Marketing Manager,HA-0001,"
        "referral,US,true,false,2026-02-10T09:00:00Z,partner_portal\n"
    ),
    "leads/zz_hand_built_2.csv": (
        "lead_id,created_at,email,job_title,account_id,source,country,consent_marketing,"
        "do_not_contact,updated_at,lead_origin\n"
        f"{LEAD_ID},2026-02-10T09:00:00Z,ada@handbuilt.example,VP Marketing,HA-0001,"
        "referral,US,true,false,2026-06-01T00:00:00Z,partner_portal\n"
    ),
    "events/zz_hand_built.csv": (
        "event_id,lead_id,event_type,occurred_at,page_url,properties\n"
        f"HE-1,{LEAD_ID},page_view,2026-03-22T10:00:00Z,https://www.example.com/pricing,\n"
        f"HE-2,{LEAD_ID},email_click,2026-05-21T10:00:00Z,,\n"
        f"HE-3,{LEAD_ID},demo_booked,2026-06-20T10:00:00Z,,\n"
        f"HE-4,{LEAD_ID},page_view,2026-06-25T10:00:00Z,https://www.example.com/pricing,\n"
        f"HE-5,{LEAD_ID},page_view,2026-06-27T10:00:00Z,https://www.example.com/pricing,\n"
        f"HE-6,{LEAD_ID},page_view,2026-06-29T10:00:00Z,https://www.example.com/pricing?x=1,\n"
        f"HE-7,{LEAD_ID},page_view,2026-06-28T10:00:00Z,https://www.example.com/blog/why,\n"
    ),
}
ROWS = {"accounts": 1, "leads": 2, "events": 7}


def write(landing: Path) -> None:
    for relative, text in FILES.items():
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
