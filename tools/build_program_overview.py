"""Builds notebooks/program_overview.ipynb (run: python tools/build_program_overview.py)."""

from make_notebook import build

PARAMETERS = '''
# Parameters (papermill injects the real values).
# start_month / end_month: "YYYY-MM"; None = the first / last month with logged time.
# clinic: a clinic_id; None = all clinics.
db = "bcm.duckdb"
start_month = None
end_month = None
clinic = None
'''

SETUP = '''
import plotly.express as px
from bcm_analytics.warehouse import connect
from bcm_analytics.overview import data_period, month_start, program_overview
from bcm_analytics.outcomes.suppression import SUPPRESSED_NOTE, suppress
from bcm_analytics.reports import charts, context

con = connect(db, read_only=True)
first, last = data_period(con)
start = month_start(start_month) if start_month else first
end = month_start(end_month) if end_month else last
context.header(con, "Program overview", {"period": f"{start:%Y-%m} to {end:%Y-%m}", "clinic": clinic},
               "Who is in the collaborative-care program, how many join and leave, and how much care-manager time they receive.")
raw = program_overview(con, start, end, clinic)
counts = ["active_patients", "new_enrolments", "discharges", "patients_with_time"]
overview = suppress(raw, counts, group_cols=["clinic_id"], hide_with={"minutes_logged": ["patients_with_time"]})
'''

CASELOAD_TEXT = '''
## How many patients are in care each month?
Active caseload: patients enrolled on or before the month's last day and not discharged before its first day.
Counts from 1 to 10 are hidden, with enough other cells to keep them from being worked out (CMS cell-size rule);
a hidden value is a gap in the chart.
'''

CASELOAD = '''
fig = px.bar(overview, x="month", y="active_patients", color="clinic_id",
             labels={"active_patients": "active patients", "clinic_id": "clinic"}, title="Active caseload by clinic")
charts.show(fig)
'''

FLOWS = '''
flows = raw.groupby("month", as_index=False)[["new_enrolments", "discharges"]].sum()
flows = suppress(flows, ["new_enrolments", "discharges"])
fig = px.line(flows, x="month", y=["new_enrolments", "discharges"], markers=True,
              title="Enrolments and discharges per month, all clinics shown", labels={"value": "patients", "variable": ""})
charts.show(fig)
'''

MINUTES_TEXT = '''
## How much care-manager time is logged?
All logged minutes, before any billing rule: the billing reports show which of them count.
'''

MINUTES = '''
per_patient = overview.assign(minutes_per_patient=lambda d: d.minutes_logged / d.patients_with_time)
fig = px.line(per_patient, x="month", y="minutes_per_patient", color="clinic_id", markers=True,
              title="Minutes logged per patient with any time that month",
              labels={"minutes_per_patient": "minutes per patient", "clinic_id": "clinic"})
charts.show(fig)
'''

BY_CLINIC = '''
by_clinic = raw.groupby("clinic_id", as_index=False).agg(
    new_enrolments=("new_enrolments", "sum"), discharges=("discharges", "sum"), minutes_logged=("minutes_logged", "sum"))
last_month = raw[raw.month == raw.month.max()][["clinic_id", "active_patients"]]
by_clinic = by_clinic.merge(last_month.rename(columns={"active_patients": "active_patients_last_month"}), on="clinic_id")
by_clinic = suppress(by_clinic, ["new_enrolments", "discharges", "active_patients_last_month"], group_cols=["clinic_id"],
                     hide_with={"minutes_logged": ["active_patients_last_month"]})
charts.table(by_clinic, "Enrolments, discharges and minutes over the period; caseload in the last month")
charts.note(SUPPRESSED_NOTE)
'''

build("notebooks/program_overview.ipynb", [
    ("params", PARAMETERS),
    ("code", SETUP),
    ("md", CASELOAD_TEXT),
    ("code", CASELOAD),
    ("md", "## Who joined and who left?"),
    ("code", FLOWS),
    ("md", MINUTES_TEXT),
    ("code", MINUTES),
    ("md", "## The period by clinic"),
    ("code", BY_CLINIC),
])
