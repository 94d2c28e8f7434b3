"""The pages a user acts on say what the code does: README.md, docs/*.md, data_contracts/README.md.

A user copies a `bcm` command from them, looks up a folder of the layer map, or reads which
reasons a minute did not count for. Each test reads the page as text and holds it against the
code it describes, so a rename in the code alone fails here naming the page and the words.
(docs/marts.md's inventory of the marts is checked in tests/test_models.py, the generated parts
of data_contracts/README.md and docs/profiles.md in tests/test_contracts.py and test_profiles.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from bcm_analytics.billing.time_allocation import OUTCOMES
from bcm_analytics.billing.time_outcomes import COUNTED, HEADINGS
from bcm_analytics.cli import cli
from bcm_analytics.reports.parameters import declared
from bcm_analytics.reports.runner import available_reports, notebook_path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "data_contracts" / "README.md"]
CONTEXT = click.Context(cli)


def page_name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def quoted_commands(text: str) -> list[tuple[int, str, str]]:
    """Every `bcm ...` a page quotes, as (line, the command's words, the rest of its table row):
    a line of a code block (`$ bcm ...` too) and an inline `bcm ...`; a table row that starts with
    one also hands it the options quoted in the row's other cells."""
    found, in_code = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            if command := re.match(r"^\s*(?:\$ )?bcm (.*?)(?:\s+#.*)?$", line):
                found.append((number, command.group(1), ""))
            continue
        spans = re.findall(r"`bcm ([^`]*)`", line)
        row = re.match(r"^\| `bcm ([^`]*)` \|(.*)$", line)
        for span in spans:
            rest = re.sub(r"`bcm [^`]*`", "", row.group(2)) if row and span == row.group(1) else ""
            found.append((number, span, rest))
    return found


def resolve(words: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The command the words name (`profile draft`), its path, and the words after it."""
    command, path = cli, []
    while isinstance(command, click.Group) and words and (sub := command.get_command(CONTEXT, words[0])):
        command, path, words = sub, [*path, words[0]], words[1:]
    return command, path, words


def options(command: click.Command) -> set[str]:
    names = {"-h", "--help"}
    for param in command.params:
        names |= set(param.opts) | set(param.secondary_opts)
    if isinstance(command, click.Group):  # `bcm profile` in a table row: its subcommands' options
        for name in command.list_commands(CONTEXT):
            names |= options(command.get_command(CONTEXT, name))
    return names


def command_problems(page: str, text: str) -> list[str]:
    """What a quoted command names that `bcm` does not have: a command, an option of that
    command, or a `-p` parameter of that report."""
    problems = []
    for number, quoted, row in quoted_commands(text):
        words = quoted.replace("[", " ").replace("]", " ").split()
        if not words or words[0].isupper() or words[0].startswith("-"):  # `bcm COMMAND --help`, `bcm --version`
            first, path, rest = cli, [], words
        else:
            first, path, rest = resolve(words)
            if not path:
                problems.append(f"{page}:{number}: `bcm {quoted}`: bcm has no command {words[0]!r}")
                continue
        known = options(first)
        said = [o for w in rest for o in w.split("/") if re.fullmatch(r"--?[a-zA-Z][\w-]*", o)]
        said += re.findall(r"`(--[a-z][a-z0-9-]*)", row)
        problems += [f"{page}:{number}: `bcm {quoted}`: bcm {' '.join(path)} has no option {o}" for o in said if o not in known]
        if path == ["report"] and rest and rest[0] in available_reports():
            parameters = declared(notebook_path(rest[0]))
            given = [rest[i + 1] for i, w in enumerate(rest[:-1]) if w in ("-p", "--parameter")]
            problems += [f"{page}:{number}: `bcm {quoted}`: report {rest[0]} has no parameter {p}"
                         for p in given if p not in parameters]
    return problems


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_every_bcm_command_and_option_a_page_quotes_exists(page):
    problems = command_problems(page_name(page), page.read_text())
    assert not problems, "\n".join(problems)


def test_the_command_check_sees_a_wrong_command_option_and_parameter():
    """The checker finds what a page could get wrong (so the test above can fail)."""
    text = "\n".join([
        "```bash",
        "bcm billing --db x.duckdb --month 2025-01 --worklists        # a comment --ignored",
        "bcm reports caseload_outcomes",
        "```",
        "Run `bcm report time_allocation -p payer Medicare` or `bcm profile draft a.csv --out d.yaml`.",
        "| `bcm load PATH...` | `--replace LOAD_ID` corrects a load; give it to `bcm build --rules` |",
    ])
    assert [p.split(": ", 1)[1] for p in command_problems("page.md", text)] == [
        "`bcm billing --db x.duckdb --month 2025-01 --worklists`: bcm billing has no option --worklists",
        "`bcm reports caseload_outcomes`: bcm has no command 'reports'",
        "`bcm report time_allocation -p payer Medicare`: report time_allocation has no parameter payer",
        "`bcm load PATH...`: bcm load has no option --replace",
    ]


def section(text: str, heading: str) -> str:
    """The text of a page's `## heading` section, up to the next heading of its level."""
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_docs_billing_names_every_outcome_of_the_time_allocation():
    """docs/billing.md's time-allocation section names each outcome a logged minute can have
    (OUTCOMES, the columns of minutes_by_outcome): a new reason added in the SQL alone read as if
    those minutes could not happen."""
    text = section((ROOT / "docs" / "billing.md").read_text(), "Where the care team's time goes")
    missing = [o for o in OUTCOMES if f"`{o}`" not in text]
    assert not missing, f"docs/billing.md, 'Where the care team's time goes', does not name the outcomes {missing}"


def test_the_readme_audit_packets_name_every_reason_an_entry_does_not_count():
    """An auditor reads README's "Audit packets" for what a packet can say about an entry that did
    not count: its list named five reasons, so minutes while in hospital or after the discharge
    (which the packets do show, under HEADINGS) read as if the engine never set them aside."""
    text = " ".join(section((ROOT / "README.md").read_text(), "Audit packets").split())
    missing = [HEADINGS[o] for o in HEADINGS if o not in COUNTED and HEADINGS[o] not in text]
    assert not missing, f"README.md, Audit packets, does not name the reasons {missing}"


def layer_map() -> str:
    """The README's tree of the package (How it is built)."""
    text = section((ROOT / "README.md").read_text(), "How it is built")
    return re.search(r"```\n(bcm_analytics/\n.*?)```", text, re.S).group(1)


def test_the_readme_layer_map_is_the_package():
    """Every subpackage and top-level module of bcm_analytics is in the README's map, and every
    folder and module the map names exists where it says."""
    package = ROOT / "bcm_analytics"
    tree = layer_map()
    folders = {m.group(2): len(m.group(1)) for m in re.finditer(r"^( *)([a-z_]+)/", tree, re.M)}
    subpackages = {p.name for p in package.iterdir() if (p / "__init__.py").exists() and not p.is_symlink()}
    modules = {p.name for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    named = set(re.findall(r"\b([a-z_/]+\.py)\b", tree))
    missing = sorted((subpackages - set(folders)) | {m for m in modules if m not in named})
    assert not missing, f"README.md, How it is built: the map leaves out {missing}"
    tops = {f for f, indent in folders.items() if indent == 2}
    nested = {f for f, indent in folders.items() if indent > 2}
    outside = {f for f, indent in folders.items() if indent == 0} - {"bcm_analytics"}
    wrong = sorted(f"{f}/" for f in tops if not (package / f).is_dir())
    wrong += sorted(f"{f}/" for f in nested if not any(package.glob(f"*/{f}")))
    wrong += sorted(f"{f}/" for f in outside if not (ROOT / f).is_dir())
    wrong += sorted(m for m in named if not any(package.rglob(m.split("/")[-1])) or ("/" in m and not (package / m).exists()))
    assert not wrong, f"README.md, How it is built: the map names what the package does not have: {wrong}"
