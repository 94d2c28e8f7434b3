"""Where profiles come from: the built-in ones shipped inside this package, or a file.

Built-in profiles are package data (importlib.resources), so an installed wheel finds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from bcm_analytics.ingest.profiles.model import Profile, ProfileError, did_you_mean, parse

PACKAGE = "bcm_analytics.ingest.profiles"
NOT_PROFILES = {"loinc"}
ANSWER_CODE = re.compile(r"la[0-9]+-[0-9]", re.I)  # a LOINC answer code (LA6569-3)


def builtin_names() -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in resources.files(PACKAGE).iterdir()
        if p.name.endswith(".yaml") and p.name.removesuffix(".yaml") not in NOT_PROFILES
    )


def load(name_or_path: str | Path) -> Profile:
    """A built-in profile by name, or a profile file; ProfileError with one line otherwise."""
    text = str(name_or_path)
    if text in builtin_names():
        return require(parse(resources.files(PACKAGE).joinpath(f"{text}.yaml").read_text(encoding="utf-8"), f"{text} (built-in profile)"))
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ProfileError(f"{path}: no such profile file")
        try:
            return require(parse(path.read_text(encoding="utf-8-sig"), path))
        except (OSError, UnicodeDecodeError) as e:
            raise ProfileError(f"{path}: cannot be read ({e.__class__.__name__}); save the profile as UTF-8 text") from None
    names = builtin_names()
    raise ProfileError(
        f"unknown profile '{text}'{did_you_mean(text, names)}; built-in profiles: {', '.join(names)}, or give a .yaml file"
    )


@dataclass(frozen=True)
class Code:
    code: str
    instrument: str
    item: str  # '1'..'9', 'total' or 'panel'


@dataclass(frozen=True)
class Loinc:
    codes: tuple[Code, ...]
    answers: dict[str, int]
    item_counts: dict[str, int]  # instrument -> number of items listed

    def answer_words(self) -> list[str]:
        """The answers written as the questionnaire's words (several days), not LOINC answer codes
        (LA6569-3)."""
        return [a for a in self.answers if not ANSWER_CODE.fullmatch(a)]

    def answer_codes(self) -> list[str]:
        """The answers written as LOINC answer codes, as LOINC writes them (LA6569-3)."""
        return [a.upper() for a in self.answers if ANSWER_CODE.fullmatch(a)]

    def with_codes(self, extra: dict[str, str]) -> "Loinc":
        """The catalogue plus a profile's own codes ('12345-6': 'PHQ-9 item 3')."""
        from bcm_analytics.ingest.profiles.model import parse_code_meaning

        added = [Code(code, *parse_code_meaning(meaning)) for code, meaning in extra.items()]
        kept = [c for c in self.codes if c.code not in extra]
        counts = dict(self.item_counts)
        for c in added:
            counts.setdefault(c.instrument, 0)
        return Loinc(tuple(kept + added), self.answers, counts)


@cache
def loinc() -> Loinc:
    data = yaml.safe_load(resources.files(PACKAGE).joinpath("loinc.yaml").read_text(encoding="utf-8"))
    codes = []
    counts = {}
    for instrument, spec in data["instruments"].items():
        codes += [Code(str(c), instrument, "panel") for c in spec.get("panel", [])]
        codes += [Code(str(c), instrument, "total") for c in spec.get("total", [])]
        codes += [Code(str(c), instrument, str(n)) for c, n in (spec.get("items") or {}).items()]
        counts[instrument] = len(spec.get("items") or {})
    answers = {str(k).strip().lower(): int(v) for k, v in data["answers"].items()}
    return Loinc(tuple(codes), answers, counts)


def require(profile: Profile) -> Profile:
    """The profile, after the checks that need the catalogue (codes of known instruments)."""
    for table, maps in profile.tables.items():
        for m in maps:
            if m.scores:
                known = set(loinc().item_counts)
                for code, meaning in m.scores.codes.items():
                    instrument = meaning.split()[0].upper()
                    if instrument not in known:
                        raise ProfileError(
                            f"{profile.path}: tables.{table}.scores.codes.{code}: unknown instrument '{instrument}'"
                            f"{did_you_mean(instrument, known)}; instruments: {', '.join(sorted(known))}"
                        )
    return profile
