"""`bcm build` brings the store's marts up to date (optionally with new rules or definitions);
`bcm compact` gives the disk back the space the store no longer uses."""

from __future__ import annotations

import time
from pathlib import Path

import click

from bcm_analytics.cli.data import marts_summary
from bcm_analytics.cli.options import db_option, fail, require_store


@click.command()
@db_option
@click.option("--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The program's rules file, or a shipped ruleset's name (texas_medicaid ...): becomes the store's own "
                   "(later commands use it without --rules); 'default': the shipped rules alone.")
@click.option("--definitions", type=click.Path(dir_okay=False, path_type=Path),
              help="Outcome definitions YAML: becomes the store's own; 'default': the shipped definitions.")
@click.option("--full", is_flag=True, help="Rebuild every mart whole instead of only what changed.")
def build(db: Path, rules_file: Path | None, definitions: Path | None, full: bool) -> None:
    """Bring the marts (marts.* in the store) up to date with the data, the rules and definitions.

    Every load does this on its own; run it after changing the rules or definitions files, or to
    give the store a program rules file. Only what changed is recomputed: a model whose SQL or
    configuration changed is rebuilt whole, the rest only for patients whose data changed.
    """
    from bcm_analytics.config.definitions import load_definitions
    from bcm_analytics.config.rules import RulesError, load_rules
    from bcm_analytics.models import refresh
    from bcm_analytics.models.marts import resolve_definitions, resolve_rules
    from bcm_analytics.warehouse import close_after_writing, connect

    require_store(db)
    try:
        rules = load_rules(rules_file) if rules_file else None
        if rules is not None:
            rules.fees()
        defs = load_definitions(definitions) if definitions else None
    except (RulesError, ValueError, OSError) as e:
        fail(str(e))
    started = time.perf_counter()
    con = connect(db)
    try:
        report = refresh(con, rules, defs, progress=lambda line: click.echo(f"  {line}"), full=full)
        rules, defs = resolve_rules(con, rules), resolve_definitions(con, defs)  # what the marts were built with
        close_after_writing(con)
    finally:
        con.close()
    click.echo(f"marts of {db} up to date: {marts_summary(report)} in {time.perf_counter() - started:.1f} s")
    click.echo(f"  billing rules {rules.id} ({', '.join(str(p) for p in rules.files[1:]) or 'shipped'}); "
               f"outcome definitions {defs.version} ({defs.source})")


@click.command()
@db_option
def compact(db: Path) -> None:
    """Rewrite the store into a new file holding only what is in use, and put it in its place.

    DuckDB reuses the space deleted and replaced rows leave, but never shrinks the file: a store
    given an export every month grows to about twice what it holds. Run this when no one else is
    using the store; it needs free disk space beside the store for the new copy (at most the
    store's size). The store is replaced only once the copy holds the same rows in every table.
    """
    from bcm_analytics.warehouse.compact import compact as compact_store

    require_store(db)
    started = time.perf_counter()
    done = compact_store(db)
    click.echo(f"{db} compacted: {_megabytes(done.before)} -> {_megabytes(done.after)} "
               f"({done.rows:,} rows in {done.tables} tables, each checked) in {time.perf_counter() - started:.1f} s")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
