"""`bcm rules`: a program's billing rules file, checked before a store uses it."""

from __future__ import annotations

from pathlib import Path

import click

from bcm_analytics.cli.options import fail, warn


@click.group()
def rules() -> None:
    """Billing rules files: check one before `bcm build --rules` makes it a store's own."""


@rules.command()
@click.argument("file")
def check(file: str) -> None:
    """Check a rules FILE (or a shipped ruleset by name) and its fee schedules, without a store.

    The same checks as `bcm build --rules FILE` (keys, dates, payer names, the files it extends,
    every fee file), then what the rules hold: the payer classes, the payer names the program
    maps, its payer aliases, the rule periods and the fees. A payer name it maps that an alias
    reads as another payer is warned of (its class applies to no one), with what to write instead,
    and so are a payer class it adds that no payer name maps to (a misspelt class name) and periods
    it starts later than the rules it extends (its list replaces theirs, earlier dates and all).
    """
    from bcm_analytics.config.rules import RulesError, load_rules, periods_cut_short

    try:
        checked = load_rules(file)
        fees = checked.fees().to_pylist()
        cut_short = periods_cut_short(checked)
    except RulesError as e:
        fail(str(e))
    periods = checked.periods.to_pylist()
    click.echo(f"{file}: rules valid: {checked.id} ({' + '.join(p.name for p in checked.files)})")
    classes = ", ".join(f"{c} (from {parent})" if parent else c for c, parent in sorted(checked.class_parents.items()))
    click.echo(f"  payer classes: {classes}; a payer name no file maps bills as {checked.default_payer_class}")
    own = {name: checked.payer_names[name] for name in checked.program_payer_names}
    if own:
        click.echo("  payer names this file maps (matched ignoring case): " + ", ".join(f"'{n}' -> {c}" for n, c in sorted(own.items())))
    if checked.payer_aliases:
        click.echo("  payer aliases (read as the payer they name, matched ignoring case): "
                   + ", ".join(f"'{checked.alias_spellings[n]}' -> '{t}'" for n, t in sorted(checked.payer_aliases.items())))
    for sentence in checked.names_aliased_away() + checked.classes_reaching_no_one() + cut_short:
        warn(sentence)
    first = min(p["valid_from"] for p in periods)
    click.echo(f"  {len(periods):,} rule periods from {first} (per payer class, billing setting and program; "
               "the codes of each, from the day it starts):")
    for line in _period_lines(periods):
        click.echo(f"    {line}")
    unverified = sum(not f["verified"] for f in fees)
    click.echo(f"  {len(fees):,} fee amounts, {unverified:,} not verified (finance confirms contracted rates: verified true); "
               "the codes priced per payer class and year, and the files they come from:")
    for (payer_class, year), rows in sorted(_by_class_and_year(fees).items()):
        files = ", ".join(sorted({Path(r["fee_file"]).name for r in rows}))
        click.echo(f"    {payer_class} {year}: {' '.join(sorted({r['code'] for r in rows}))} ({files})")


def _period_lines(periods: list[dict]) -> list[str]:
    """A line per payer class (or payer profiled), billing setting and program: each period's first
    day and code set, what a rules file dated ahead of the data is checked by (no export can hold
    a month that has not come, so no bill shows it)."""
    grouped: dict[tuple, list[dict]] = {}
    for row in periods:
        who = row["payer_class"] + (f" ({row['payer_profile']})" if row["payer_profile"] else "")
        grouped.setdefault((who, row["billing_setting"], row["program"]), []).append(row)
    return [f"{who} {setting} {program}: " + ", ".join(f"{r['valid_from']} {r['code_set']}" for r in sorted(rows, key=lambda r: r["valid_from"]))
            for (who, setting, program), rows in sorted(grouped.items())]


def _by_class_and_year(fees: list[dict]) -> dict[tuple[str, int], list[dict]]:
    """A class's own file for a year replaces its parent's for that year: what it leaves out is
    not priced, which the administrator sees here, before a month's lines come out without a fee."""
    grouped: dict[tuple[str, int], list[dict]] = {}
    for row in fees:
        grouped.setdefault((row["payer_class"], row["valid_from"].year), []).append(row)
    return grouped
