"""Builds notebooks/caseload_outcomes.ipynb (run: python tools/build_caseload_outcomes.py)."""
from pathlib import Path

import nbformat as nbf

md = nbf.v4.new_markdown_cell
code = nbf.v4.new_code_cell
cells = [
    code('''# Parameters (papermill injects the real values).
# as_of: YYYY-MM-DD; None = the latest score or time-log date in the store.
# start_month / end_month: YYYY-MM; None = the 12 months ending at the as-of month.
# clinics: a list of clinic ids; care_manager: a care manager id; payer: a payer name as exported;
# instrument: PHQ-9 or GAD-7 (None = all, for each).
# definitions: path of a YAML overriding bcm_analytics/outcomes/definitions.yaml.
db = "bcm.duckdb"
as_of = None
start_month = None
end_month = None
clinics = None
care_manager = None
payer = None
instrument = None
definitions = None''', metadata={"tags": ["parameters"]}),
    code('''from IPython.display import HTML, display

from bcm_analytics.outcomes import figures, load_definitions, prepare, report
from bcm_analytics.reports import charts, context
from bcm_analytics.warehouse import connect

con = connect(db, read_only=True)
run = prepare(con, as_of, load_definitions(definitions), clinics=clinics, care_manager=care_manager, payer=payer,
              instrument=instrument)
period = run.period(start_month, end_month)
start, end = period["start_month"], period["end_month"]
context.header(con, "Caseload and outcomes", {
    "as of": run.as_of, "period": f"{start:%Y-%m} to {end:%Y-%m}", "clinics": clinics, "care manager": care_manager,
    "payer": payer, "instrument": instrument, "definitions": f"{run.definitions.version} ({run.definitions.source})",
}, purpose="Outcome measures and caseload process for program directors. Aggregate only: counts of 1-10 "
           "patients are suppressed, with any cell that would reveal them.")
display(HTML(f"<p><i>{report.SUPPRESSED_NOTE}</i></p>"))'''),
    md("## Headline measures\nResponse and remission at fixed times after baseline for baselines in the period "
       "(most recent score in the window). *Of all*: over every closed window, a patient with no score in it "
       "counting as not met (the HEDIS way). *Of measured*: over patients with a score in the window. "
       "Windows still open at the as-of date are left out."),
    code('''headline = report.headline(run, start, end)
charts.table(report.display(headline), caption="Response and remission")
display(HTML(f"<p>{report.plausibility(run, headline)}</p>"))
charts.table(report.measure_definitions(run), caption="Definitions")'''),
    md("## Monthly trends"),
    code('''caseload = report.caseload(run, start, end)
strata = report.strata(run, start, end)
charts.show(figures.caseload_trend(caseload))
for name in sorted(strata["instrument"].unique()):
    charts.show(figures.outcome_trend(strata, name, "6m"))
charts.show(figures.process_trend(caseload))'''),
    md("## Enrolment cohorts\nResponse and remission by months since enrolment, per enrolment cohort: at each month "
       "the latest score so far (carried forward after discharge) against the baseline."),
    code('''cohorts = report.cohorts(run, start, end)
for name in sorted(cohorts["instrument"].unique()):
    charts.show(figures.cohort_curves(cohorts, name))
milestones = cohorts[cohorts["months_since_enrolment"].isin([3, 6, 9, 12])]
charts.table(report.display(milestones, ["instrument", "cohort", "months_since_enrolment", "patients", "pct_measured",
                                         "pct_response", "pct_remission"]), caption="Cohorts at 3, 6, 9 and 12 months")'''),
    md("## Change from baseline"),
    code('''change = report.change(run, start, end)
charts.show(figures.change_bars(change))
charts.table(report.display(change), caption="Patients by change from baseline to latest score")'''),
    md("## Process measures against the guidance\nAt the end of the last month of the period. Caseload guidance per "
       "1.0 FTE care manager (AIMS Center): the band set in the definitions."),
    code('''process_cols = ["clinic", "care_manager", "active", "band", "caseload_vs_band", "pct_contacted", "pct_scored",
                "pct_scored_long", "pct_reviewed", "pct_followed_up", "not_improving", "not_improving_no_review",
                "contacts_per_patient_month", "mean_weeks_in_treatment"]
charts.table(report.display(report.latest_month(caseload), process_cols), caption=f"Process measures, {end:%Y-%m}")
monthly_cols = ["month", "served", "active", "new_enrolments", "discharges", "pct_contacted", "pct_scored",
                "pct_reviewed", "pct_followed_up", "pct_not_improving", "not_improving_no_review",
                "contacts_per_patient_month", "minutes_per_patient_month", "mean_phq9_first", "mean_phq9_last",
                "mean_gad7_first", "mean_gad7_last"]
program_rows = caseload[(caseload["clinic"] == "All") & (caseload["care_manager"] == "All")]
charts.table(report.display(program_rows, monthly_cols), caption="Program, per month")
modes = report.contact_modes(run, start, end)
charts.table(report.display(modes, ["month"] + [c for c in modes.columns if c.endswith("per patient-month")]),
             caption="Contacts per patient-month by contact mode")'''),
    md("## Stratification\n6-month outcomes (HEDIS DRR-E style) by clinic, payer, age band, sex, race and ethnicity. "
       "Each stratification adds up to the headline; small groups are suppressed."),
    code('''strata_cols = ["dimension", "stratum", "instrument", "denominator", "measured", "pct_measured", "pct_response",
               "pct_remission", "pct_response_of_measured", "pct_remission_of_measured"]
six = strata[(strata["window_name"] == "6m") & (strata["dimension"] != "baseline_month")]
charts.table(report.display(six, strata_cols), caption="6-month outcomes by stratum", max_rows=500)'''),
    md("## Definitions used"),
    code('''display(HTML(report.definitions_html(run)))
con.close()'''),
]
nb = nbf.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                                 "language_info": {"name": "python"}})
nbf.write(nb, Path(__file__).resolve().parents[1] / "notebooks" / "caseload_outcomes.ipynb")
