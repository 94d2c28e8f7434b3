"""`bcm audit`: an audit packet per billed (or expected) patient-month, for auditors and payers."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bcm_analytics.cli.billing import _load_rules, month_option, rules_option, to_option
from bcm_analytics.cli.options import db_option, fail, month_range, open_store, warn


@click.command()
@db_option
@month_option()
@to_option
@click.option("--patient", metavar="ID", help="Only this patient's months.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for index.html and one page per patient-month (created private, 0700).")
@rules_option
def audit(db: Path, start, end, patient: str | None, out_dir: Path, rules_file) -> None:
    """Audit packets: one HTML page per billed or expected patient-month, and an index.

    Each page shows the patient and their consent, the month's episode and month type, every time
    entry with the minutes counted (and why not), the rule and fee applied, the claim lines and
    the reconciliation finding, and where every row came from. Pages name patients: they are
    written readable by you only.
    """
    from bcm_analytics.billing.engine import billing_marts
    from bcm_analytics.billing.reconcile import claims_gap_note
    from bcm_analytics.reports.audit import write_packets

    started = time.perf_counter()
    start, end = month_range(start, end)
    rules = _load_rules(rules_file)
    con = open_store(db)
    try:
        if patient is not None and not con.execute("SELECT count(*) FROM staging.patients WHERE patient_id = ?",
                                                   [patient]).fetchall()[0][0]:
            fail(f"no patient {patient} in {db}")
        marts = billing_marts(con, rules)
        if marts.note:
            click.echo(f"note: {marts.note}", err=True)
        try:
            run = write_packets(con, out_dir, start, end, patient, rules, store=db)
        except OSError as e:
            fail(f"cannot write to {out_dir}: {e.strerror or e}")
        gap = claims_gap_note(marts, start, end)  # a packet of such a month reads "missed billing"
    finally:
        con.close()
    who = f" for patient {patient}" if patient else f" for {run.patients:,} patient(s)"
    click.echo(f"{run.packets:,} audit packet(s){who} ({start}..{end}, {marts.rules.id}): {run.index}")
    if not run.packets:
        click.echo("no billed or expected patient-month in that period; the index says so")
    warn(gap)
    for note in run.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"done in {time.perf_counter() - started:.1f} s")
