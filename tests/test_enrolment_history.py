"""A patients export of enrolment episodes: one row per enrolment, a re-enrolled patient on two rows.

Registries and EHR episode lists write a patient once per episode of care. bcm keys the patients
table by patient, so the file's rows of one patient were read as a contradiction: the first row
was kept and the others set aside ("fix the export so each key appears once"). An episode list
written oldest first kept the discharged episode, and every minute of the current one read as
after the discharge (billed nothing). Rows of one patient whose enrolments follow each other (each
but the latest discharged before the next one's enrolment date) are read as the loads of a
re-enrolment are (core.enrolments): the latest is the patient's row, each earlier one an earlier
enrolment kept for its months.
"""

from __future__ import annotations

from test_billing_engine import codes, entry, patient, program  # noqa: F401 (program: a fixture)
from test_models import differs_from_full

from bcm_analytics.billing import time_entries
from bcm_analytics.cli.data import summary_line
from bcm_analytics.models.marts import refresh

OPEN = {"discharge_date": "", "discharge_reason": ""}
FIRST = patient("H") | {"discharge_date": "2024-06-30", "discharge_reason": "completed"}
SECOND = patient("H", consent="2025-02-03") | OPEN | {"enrollment_date": "2025-02-03"}
OTHER = patient("K") | OPEN


def enrolments(con, pid: str = "H") -> list[tuple]:
    return [(str(a), str(b) if b else None, str(c) if c else None) for a, b, c in con.execute(
        "SELECT enrollment_date, discharge_date, reenrolled_on FROM core.enrolments WHERE patient_id = ? ORDER BY 1",
        [pid]).fetchall()]


def test_an_episode_list_gives_the_patient_each_enrolment(program, load_rows):
    """H, enrolled 2024, discharged at the end of June, re-enrolled in February 2025, written oldest
    first: both episodes bill (99492 in each: the second starts anew after more than 6 months), the
    load line counts the earlier enrolment as loaded and says what it is."""
    con = program([FIRST, SECOND, OTHER], [entry("h1", "H", "2024-03-05", 40), entry("h2", "H", "2025-03-04", 40)])
    assert con.execute("SELECT enrollment_date, discharge_date FROM staging.patients WHERE patient_id = 'H'").fetchall()[0][1] is None
    assert enrolments(con) == [("2024-01-01", "2024-06-30", "2025-02-03"), ("2025-02-03", None, None)]
    assert set(time_entries(con, "2024-01", "2025-12").status) == {"counted"}
    assert codes(con) == [("H", "2024-03", "99492", 1), ("H", "2025-03", "99492", 1)]
    assert differs_from_full(con) == []


def test_the_load_line_says_how_many_rows_were_earlier_enrolments(store, load_rows):
    load_rows("clinics", [{"clinic_id": "PP", "setting": "physician_practice"}])
    result = load_rows("patients", [SECOND, FIRST, OTHER])  # latest first, as some lists are sorted
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined, result.rows_duplicate) == (3, 3, 0, 0)
    assert (result.rows_changed, result.rows_reenrolled, result.rows_earlier_enrolments) == (0, 0, 1)
    assert result.adds_up
    assert "read 3 = loaded 3 (1 an earlier enrolment of a re-enrolled patient, kept for its months)" in summary_line(result.path, result)
    assert enrolments(store) == [("2024-01-01", "2024-06-30", "2025-02-03"), ("2025-02-03", None, None)]


def test_the_same_episodes_again_change_nothing(store, load_rows):
    """Next month's episode list holds the same episodes: the earlier one is a duplicate, not a
    second record of it; so is the latest."""
    load_rows("clinics", [{"clinic_id": "PP", "setting": "physician_practice"}])
    load_rows("patients", [FIRST, SECOND])
    changes = store.execute("SELECT count(*) FROM meta.row_changes").fetchall()
    again = load_rows("patients", [FIRST, SECOND, OTHER])
    assert (again.rows_loaded, again.rows_duplicate, again.rows_earlier_enrolments) == (1, 2, 0)
    assert store.execute("SELECT count(*) FROM meta.row_changes").fetchall() == changes
    assert enrolments(store) == [("2024-01-01", "2024-06-30", "2025-02-03"), ("2025-02-03", None, None)]


def test_an_episode_list_after_a_roster_of_the_discharged_episode_is_one_re_enrolment(store, load_rows):
    """Last month's roster held H discharged; this month's episode list holds both episodes: the row
    on file changes (a re-enrolment, as a roster would say it) and the earlier episode, the same as
    the row it replaces, is no second enrolment."""
    load_rows("clinics", [{"clinic_id": "PP", "setting": "physician_practice"}])
    load_rows("patients", [FIRST])
    result = load_rows("patients", [FIRST, SECOND])
    assert (result.rows_changed, result.rows_reenrolled, result.rows_earlier_enrolments, result.rows_duplicate) == (1, 1, 0, 1)
    assert result.adds_up
    assert enrolments(store) == [("2024-01-01", "2024-06-30", "2025-02-03"), ("2025-02-03", None, None)]


def test_an_earlier_episode_corrected_in_the_list_is_the_one_kept(store, load_rows):
    """The list corrects the first episode's discharge (30 June to 15 July) while the roster on file
    still holds it: the corrected episode is the earlier enrolment."""
    load_rows("clinics", [{"clinic_id": "PP", "setting": "physician_practice"}])
    load_rows("patients", [FIRST])
    load_rows("patients", [FIRST | {"discharge_date": "2024-07-15"}, SECOND])
    assert enrolments(store) == [("2024-01-01", "2024-07-15", "2025-02-03"), ("2025-02-03", None, None)]


def test_episodes_that_overlap_are_still_a_contradiction(store, load_rows):
    """An earlier row with no discharge, or one discharged on or after the next one's enrolment, is
    no earlier enrolment: the export contradicts itself, and the reason says what would make it a
    list of episodes."""
    load_rows("clinics", [{"clinic_id": "PP", "setting": "physician_practice"}])
    result = load_rows("patients", [FIRST | {"discharge_date": "2025-02-03"}, SECOND])
    assert (result.rows_loaded, result.rows_quarantined, result.rows_earlier_enrolments) == (1, 1, 0)
    [(reason,)] = store.execute("SELECT reason FROM meta.quarantine").fetchall()
    assert reason.startswith("patient_id H appears again with other ")
    assert reason.endswith("(the row kept); fix the export so each key appears once, or, if the rows are the patient's "
                           "enrolments, a list of enrolments is read so when each but the latest has a discharge_date before "
                           "the next one's enrollment_date")


def test_entries_of_an_earlier_episode_lose_their_before_enrolment_warning(program, load_rows):
    """Time logs loaded against a roster of the current enrolment alone warned that 2024's entries
    are before the enrolment; the episode list that gives the earlier enrolment settles them, and
    the marts built before it count their minutes (the row on file did not change: the patient's
    data did)."""
    con = program([SECOND], [entry("h1", "H", "2024-03-05", 40)])
    refresh(con)
    assert set(time_entries(con, "2024-01", "2024-12").status) == {"before_consent"}
    warned = "SELECT check_name FROM meta.row_warnings WHERE table_name = 'time_logs'"
    assert con.execute(warned).fetchall() == [("on or after enrolment",)]
    load_rows("patients", [FIRST, SECOND])
    assert enrolments(con) == [("2024-01-01", "2024-06-30", "2025-02-03"), ("2025-02-03", None, None)]
    assert con.execute(warned).fetchall() == []
    assert set(time_entries(con, "2024-01", "2024-12").status) == {"counted"}
    assert differs_from_full(con) == []


def test_an_epic_episode_list_with_a_patient_s_earlier_episode_bills_both(store, tmp_path):
    """Riverside's Reporting Workbench list of BHI episodes (docs/profiles.md) with the episode
    James Brooks was discharged from in June 2024, sorted by name (the current episode first), and
    his care manager's call of March 2024: the list loads whole, the call counts under the earlier
    episode (99492), and September 2025 starts a new episode (99492 again)."""
    from test_profiles_load import EXPORTS, load_profile

    epic = EXPORTS / "epic"
    episodes = (epic / "BHI_Registry_Episodes.csv").read_text().splitlines()
    earlier = ('00184733,"BROOKS, JAMES",7/1/1949,Male,RFM PRIMARY CARE,BHI COCM,2/5/2024,6/28/2024,Resolved,MEDICARE,'
               'MEDICARE PART B,Medicare,"NGUYEN, LISA",1234567893,2/5/2024,Treatment goals met')
    (tmp_path / "BHI_Registry_Episodes.csv").write_text("\n".join(episodes[:3] + [earlier] + episodes[3:]) + "\n")
    log = (epic / "CM_Time_Log_20251201.csv").read_text()
    (tmp_path / "CM_Time_Log_20251201.csv").write_text(
        log + '7709001,00184733,3/12/2024 10:00 AM,Follow-Up Call,Telephone,0:40,"NGUYEN, LISA",RN Care Manager\n')
    results = load_profile(store, epic / "epic.yaml", [tmp_path / "BHI_Registry_Episodes.csv", tmp_path / "CM_Time_Log_20251201.csv"])
    patients = results[("BHI_Registry_Episodes.csv", "patients")]
    assert (patients.rows_read, patients.rows_loaded, patients.rows_quarantined, patients.rows_earlier_enrolments) == (4, 4, 0, 1)
    assert results[("CM_Time_Log_20251201.csv", "time_logs")].rows_warned == 0
    assert enrolments(store, "00184733") == [("2024-02-05", "2024-06-28", "2025-09-08"), ("2025-09-08", None, None)]
    assert [c for c in codes(store, "2024-01", "2025-09") if c[0] == "00184733"] == [
        ("00184733", "2024-03", "99492", 1), ("00184733", "2025-09", "99492", 1)]
