"""The words the synthetic program writes, and how often.

Kept in one place so the billing and reconciliation settings (payer classes, the activity
vocabulary) can be checked against exactly what the demo data contains.
"""

from __future__ import annotations

# Payer names as a program writes them, with the payer class the billing rules should map them
# to. Class mix roughly 35% Medicare, 30% Medicaid, 35% commercial.
PAYER_CLASSES = {
    "Medicare": "medicare",
    "Medicaid": "medicaid",
    "State Medicaid MCO": "medicaid",
    "Commercial": "commercial",
    "Blue Shield PPO": "commercial",
    "Employer Choice HMO": "commercial",
    "Marketplace Silver EPO": "commercial",
}
PAYER_NAMES = list(PAYER_CLASSES)
PAYER_SHARES = [0.35, 0.18, 0.12, 0.10, 0.11, 0.08, 0.06]
PAYER_CLASS_OF = [["medicare", "medicaid", "commercial"].index(PAYER_CLASSES[n]) for n in PAYER_NAMES]

PROGRAMS = ["cocm", "general_bhi"]
SETTINGS = ["physician_practice", "fqhc", "rhc"]
TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix"]

SEXES = ["F", "M", "X"]
SEX_SHARES = [0.63, 0.36, 0.01]
RACES = [
    "White",
    "Black or African American",
    "Asian",
    "American Indian or Alaska Native",
    "Native Hawaiian or Other Pacific Islander",
    "Multiracial",
    "Other",
    "Unknown",
]
RACE_SHARES = [0.60, 0.17, 0.06, 0.02, 0.01, 0.04, 0.03, 0.07]
ETHNICITIES = ["Not Hispanic or Latino", "Hispanic or Latino", "Unknown"]
ETHNICITY_SHARES = [0.77, 0.18, 0.05]

DISCHARGE_REASONS = ["goals_met", "referred_out", "lost_to_follow_up", "moved"]

ROLES = ["bhcm", "psychiatric_consultant", "treating_practitioner"]
BHCM, CONSULTANT, PRACTITIONER = range(3)

ACTIVITIES = [
    "outreach",
    "assessment",
    "follow_up_contact",
    "care_coordination",
    "treatment_planning",
    "caseload_review",
    "brief_intervention",
    "relapse_prevention",
    "psychotherapy",
    "administrative",
]
(OUTREACH, ASSESSMENT, FOLLOW_UP, COORDINATION, PLANNING, CASELOAD_REVIEW, BRIEF_INTERVENTION,
 RELAPSE_PREVENTION, PSYCHOTHERAPY, ADMINISTRATIVE) = range(len(ACTIVITIES))

# A care manager's counted work by phase of treatment: the first month is engagement and
# assessment, then follow-up and coordination, from month 4 on also relapse prevention.
BCM_ACTIVITY_SHARES = [
    # outreach assess follow coord plan review brief relapse psycho admin
    [0.16, 0.20, 0.12, 0.20, 0.20, 0.02, 0.10, 0.00, 0.0, 0.0],  # initial month
    [0.08, 0.07, 0.32, 0.22, 0.09, 0.06, 0.16, 0.00, 0.0, 0.0],  # months 2-3
    [0.06, 0.06, 0.28, 0.22, 0.06, 0.06, 0.14, 0.12, 0.0, 0.0],  # month 4 on
]
PRACTITIONER_ACTIVITY_SHARES = [0, 0, 0, 0.6, 0.4, 0, 0, 0, 0, 0]

CONTACT_MODES = ["in_person", "phone", "video", "message", "none"]
CONTACT_NONE = CONTACT_MODES.index("none")
# in_person phone video message none, per activity (rows in ACTIVITIES order)
MODE_SHARES_BY_ACTIVITY = [
    [0.05, 0.65, 0.05, 0.25, 0.00],  # outreach
    [0.45, 0.25, 0.30, 0.00, 0.00],  # assessment
    [0.20, 0.50, 0.20, 0.10, 0.00],  # follow_up_contact
    [0.00, 0.40, 0.00, 0.20, 0.40],  # care_coordination
    [0.30, 0.10, 0.10, 0.00, 0.50],  # treatment_planning
    [0.00, 0.00, 0.10, 0.00, 0.90],  # caseload_review
    [0.45, 0.30, 0.25, 0.00, 0.00],  # brief_intervention
    [0.30, 0.40, 0.30, 0.00, 0.00],  # relapse_prevention
    [0.70, 0.00, 0.30, 0.00, 0.00],  # psychotherapy
    [0.00, 0.00, 0.00, 0.00, 1.00],  # administrative
]

# Monthly countable minutes are drawn half the time from these values, each just below or at a
# billing threshold of billing_rules.md, so every boundary of the minutes-to-codes table is hit.
COCM_THRESHOLD_MINUTES = [15, 16, 30, 31, 35, 36, 60, 61, 75, 76, 85, 86, 90, 105, 106, 115, 116]
MAINTENANCE_THRESHOLD_MINUTES = [15, 16, 30, 31, 35, 36, 45, 60, 61, 75, 76, 86]
LOW_THRESHOLD_MINUTES = [10, 15, 16, 20, 30, 31, 35, 36]
BHI_THRESHOLD_MINUTES = [15, 19, 20, 21, 25, 39, 40, 41]
