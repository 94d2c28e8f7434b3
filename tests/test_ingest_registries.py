"""Exports of a registry bcm was not built on, loaded as its data person would: question columns
written item1 ... item9, and an export concatenated from two pulls with the header again in the
middle. Each row either reads as meant or is set aside with a reason a person can act on."""

from __future__ import annotations

from hostile.helpers import write

from bcm_analytics.ingest import load_file

PATIENTS = "patient_id,payer,enrollment_date\nP1,Medicare,2024-01-01\n"


def test_item_columns_written_without_a_separator_are_the_items(store, tmp_path):
    """A registry names its PHQ-9 questions item1 ... item9 (and in its own order): they were
    dropped as extra columns, and the assessment loaded with no items, item 9 (thoughts of
    self-harm, the safety worklist's) among them."""
    load_file(store, write(tmp_path, "patients.csv", PATIENTS))
    text = ("assessment_id,patient_id,instrument,administered_on,total_score,item3,Item1,ITEM2,item4,item5,item6,item7,item8,item09\n"
            "A1,P1,PHQ-9,2025-01-06,13,3,1,1,2,2,1,1,1,1\n")
    result = load_file(store, write(tmp_path, "assessments.csv", text))
    assert (result.rows_loaded, result.dropped_columns) == (1, [])
    items = store.execute("SELECT item_1, item_2, item_3, item_9 FROM staging.assessments").fetchall()
    assert items == [(1, 1, 3, 1)]
