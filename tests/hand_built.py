"""A lead built by hand, with its score computed by hand from dbt_project/scoring/rules.yml.

As of 2026-06-30 (evaluated at the end of that day, 2026-07-01 00:00 UTC; decay = 0.5 ** (age in
days / half-life), each rule rounded to whole points after its cap):

demographic  = 10 (200 employees) + 8 (software) + 7 (US) + 5 (founded 2015: 11 years)
               + 15 (VP title of the lead's second version; the first said manager)     = 45
firmographic = 12 (budget 80,000) + 8 (growth 0.3) + 10 (snowflake in the stack)         = 30
behavioural  = pricing visits in the 30-day window, half-life 14 days:
                 10 * 0.5 ** (5.5833 / 14) + 10 * 0.5 ** (3.5833 / 14)
                 + 10 * 0.5 ** (1.5833 / 14) = 7.58 + 8.38 + 9.25 = 25.21 -> 25 (cap 30)
               demo booked 10.58 days ago, half-life 30: 25 * 0.5 ** (10.5833 / 30) = 19.58 -> 20
               (the e-mail click of 2026-05-21 is outside its 30-day window; blog: no rule)   = 45
timing       = 10 (last activity 2026-06-29, 1 day ago)
               + 10 (active on 5 of the last 30 days: 06-20, 06-25, 06-27, 06-28, 06-29)  = 20
fit 75 (grade A), engagement 65, combined                                                = 140

Stages (MQL: grade C or better and combined score 90; score history starts 2025-12-13):
  2026-02-10 09:00  lead
  2026-03-12 09:00  nurture   no MQL within 30 days
  2026-03-23 00:00  mql       end of 2026-03-22: pricing visit 10 * 0.5 ** (0.5833 / 14) = 9.7
                              -> 10, active in the last 7 days 10: 75 + 20 = 95
  2026-03-30 00:00  nurture   end of 2026-03-29: pricing 6.9 -> 7, last active 7 days ago 5:
                              75 + 12 = 87, below 90
  2026-06-21 00:00  mql       end of 2026-06-20: demo booked 24.7 -> 25, active 10: 75 + 35 = 110
"""

from pathlib import Path

LEAD_ID = "H-0001"
EXPECTED = {
    "demographic_score": 45,
    "firmographic_score": 30,
    "behavioural_score": 45,
    "timing_score": 20,
    "fit_grade": "A",
    "engagement_score": 65,
    "combined_score": 140,
    "mql_cycles": 2,
}
EXPECTED_STAGES = [
    ("lead", "2026-02-10 09:00:00"),
    ("nurture", "2026-03-12 09:00:00"),
    ("mql", "2026-03-23 00:00:00"),
    ("nurture", "2026-03-30 00:00:00"),
    ("mql", "2026-06-21 00:00:00"),
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
