"""`bcm profile ...` (draft, list, show, check) and `bcm load --profile`: exports from other systems."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from bcm_analytics.cli.options import fail


def _load_profile(name: str):
    from bcm_analytics.ingest import profiles

    try:
        return profiles.load(name)
    except profiles.ProfileError as e:
        fail(str(e))


def run_profile_load(db: Path, paths: list[Path], timezone: str, profile_name: str, sheet: str | None,
                     coverage_file: str = "history") -> list:
    """Map the files through the profile, load the rows, update the marts, print one line per
    file and table and one per file saying what of it was used; returns the results."""
    from bcm_analytics.cli.data import marts_summary, summary_line
    from bcm_analytics.ingest import FileRefused, FileResult
    from bcm_analytics.ingest.loader import scratch_folder
    from bcm_analytics.ingest.profiles import ProfileError, load_export, map_export
    from bcm_analytics.ingest.profiles.export import zone_mismatch
    from bcm_analytics.warehouse import connect, remove_store

    profile = _load_profile(profile_name)
    click.echo(f"profile {profile.name}: {profile.title}")
    created = not Path(db).exists()
    con = connect(db, timezone=timezone)
    results = []
    try:
        try:
            mapping = map_export(profile, paths, sheet, scratch_folder(con))
        except ProfileError as e:
            fail(str(e))
        except FileRefused as e:
            fail(f"{e}; nothing of this export was loaded (its files belong together)")
        for path, why in mapping.ignored:
            click.echo(f"{path}: ignored ({why})")
        for source in mapping.missing_sources:
            patterns = ", ".join(profile.sources[source].files)
            click.echo(f"no {source} file in this load ({patterns}): what the profile reads from it comes out empty")
        for rows, result in load_export(con, mapping, coverage_file):
            click.echo(summary_line(rows.path, result), file=sys.stderr if isinstance(result, FileRefused) else sys.stdout)
            results.append(result)
        fresh = [r.load_id for r in results if isinstance(r, FileResult) and not r.already_loaded]
        if fresh:
            from bcm_analytics.models import refresh

            report = refresh(con)
            click.echo(f"marts updated in {report.seconds:.1f} s ({marts_summary(report)})")
            if mismatch := zone_mismatch(con, profile, min(fresh)):
                click.echo(zone_warning(profile.name, mismatch), err=True)
    finally:
        con.close()
        if created and not any(isinstance(r, FileResult) for r in results):
            remove_store(Path(db))
    for use in mapping.files:
        click.echo(usage_line(use))
    return results


def zone_warning(name: str, m) -> str:
    """The profile's zone is not the one the store dates its clinics' readings in (export.ZoneMismatch)."""
    moved = (f"{m.other_day:,} fall{'s' if m.other_day == 1 else ''} on another day and {m.other_month:,} in another month"
             if m.other_day else "none falls on another day yet")
    return (f"warning: profile {name} reads the export's clock times in {m.profile_zone}, but bcm dates them in {m.store_zone} "
            f"(the store's zone, kept from its first load: --timezone, $BCM_TIMEZONE or the default) for clinics that name "
            f"no time zone ({', '.join(m.clinics)}): "
            f"of {m.readings:,} readings with a time of day, {moved}" + (f" ({m.example})" if m.example else "") +
            f"; give those clinics their timezone in a clinics export (or a clinics map in the profile, docs/profiles.md), "
            f"or load the export into a new store with --timezone {m.profile_zone}")


def usage_line(use) -> str:
    """What a load took from one file: records used per table, and what it left out and why."""
    tables = ", ".join(f"{t} {n:,}" for t, n in use.by_table.items())
    line = f"{use.path}: {use.records:,} records: {use.used:,} used ({tables or 'none'})"
    if use.unused:
        kinds = ", ".join(f"{n:,} {k}" for k, n in use.unused_kinds.items())
        why = "; ".join(x for x in (kinds, use.unused_reason) if x)
        line += f", {use.unused:,} not used" + (f" ({why})" if why else "")
    return line


@click.group()
def profile() -> None:
    """Mapping profiles: how an export from another system (Synthea, FHIR, Akello, your own)
    becomes the canonical tables. Load with `bcm load PATH... --profile NAME|FILE.yaml`."""


@profile.command("list")
def list_profiles() -> None:
    """The built-in profiles."""
    from bcm_analytics.ingest import profiles

    for name in profiles.builtin_names():
        p = profiles.load(name)
        click.echo(f"{name:<10} {p.title}  ({p.reference})")


@profile.command()
@click.argument("name")
def show(name: str) -> None:
    """Print a built-in profile's YAML (a starting point for your own)."""
    from importlib import resources

    from bcm_analytics.ingest import profiles

    _load_profile(name)
    if name not in profiles.builtin_names():
        fail(f"'{name}' is not a built-in profile; built-in: {', '.join(profiles.builtin_names())}")
    click.echo(resources.files("bcm_analytics.ingest.profiles").joinpath(f"{name}.yaml").read_text(encoding="utf-8"), nl=False)


@profile.command()
@click.argument("name")
def check(name: str) -> None:
    """Check a profile file (keys, tables, columns, and its SQL on empty sources)."""
    from bcm_analytics.ingest.profiles import ProfileError, export

    p = _load_profile(name)
    try:
        export.check_profile(p)
    except ProfileError as e:
        fail(str(e))
    maps = sum(len(m) for m in p.tables.values())
    click.echo(f"{p.path}: profile {p.name} is valid: {len(p.sources)} source(s), {maps} table map(s) into {', '.join(p.tables)}")


@profile.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The draft profile to write (.yaml).")
@click.option("--name", show_default="from --out", help="The profile's name.")
@click.option("--sheet", show_default="the first", help="Excel files: the sheet to read.")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def draft(files: tuple[Path, ...], out: Path, name: str | None, sheet: str | None, force: bool) -> None:
    """Write a draft profile from the header of each FILE, for a person to finish.

    Each column is matched to the canonical column it most looks like (same name, a common
    synonym, or a close spelling marked CHECK); required columns nothing matches are TODO.
    """
    import re

    from bcm_analytics.ingest import FileRefused
    from bcm_analytics.ingest.profiles.draft import draft as make_draft

    if out.suffix.lower() not in (".yaml", ".yml"):
        fail(f"{out}: a profile is a .yaml file")
    if out.exists() and not force:
        fail(f"{out} exists; give another --out, or --force to overwrite it")
    name = name or re.sub(r"[^a-z0-9_]+", "_", out.stem.lower()).strip("_") or "my_profile"
    started = time.perf_counter()
    try:
        text, drafts = make_draft(list(files), name, sheet)
    except FileRefused as e:
        fail(str(e))
    out.write_text(text, encoding="utf-8")
    for d in drafts:
        found = sum(1 for m in d.matches if m.source)
        todo = [m.column for m in d.matches if m.source is None and m.how != "scores" and m.column in _required(d.table)]
        check_ = [m.column for m in d.matches if m.how == "similar"]
        decide = [m.column for m in d.matches if m.how == "todo"]
        click.echo(
            f"{d.path}: {d.table}: {found} column(s) matched"
            + (f"; check {', '.join(check_)}" if check_ else "")
            + (f"; TODO (required, not found): {', '.join(todo)}" if todo else "")
            + (f"; TODO (which column, if any): {', '.join(decide)}" if decide else "")
            + ("; one row per item or total, read by a scores map: TODO group_by, codes" if d.scores else "")
        )
    click.echo(f"draft profile written to {out} in {time.perf_counter() - started:.1f} s; finish it, then "
               f"`bcm profile check {out}` and `bcm load {' '.join(str(f) for f in files)} --profile {out}`")


def _required(table: str) -> list[str]:
    from bcm_analytics.warehouse import table_specs

    return table_specs()[table].required
