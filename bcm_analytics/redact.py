"""Keep row values out of messages that are shown, logged or saved.

Error messages from DuckDB, pandas or great-expectations quote the value that broke a check
("could not convert string 'Jane Doe' to INT64"). Such a message may reach a terminal, a log
file or a saved validation result, so quoted text and anything holding a run of digits (ids,
dates, scores) is replaced by '…'. Quoted paths of files that exist are kept: they say where.
"""

from __future__ import annotations

import os
import re

QUOTED = re.compile(r"""'[^'\n]*'|"[^"\n]*"|`[^`\n]*`""")
DIGITS = re.compile(r"[\w\-/:.+]*\d{3,}[\w\-/:.+]*")
VALUE = re.compile(r"\d{3,}|^[-+]?\d+(?:[.,]\d+)?$")  # an id, a date, an NPI; a bare number
HIDDEN = "…"


def _is_path(text: str) -> bool:
    return os.sep in text and os.path.exists(text)


def _quoted(match: re.Match) -> str:
    text = match.group()
    return text if _is_path(text[1:-1]) else text[0] + HIDDEN + text[-1]


def _digits(match: re.Match) -> str:
    return match.group() if _is_path(match.group()) else HIDDEN


def scrub(message: str) -> str:
    """The message with quoted values and digit runs hidden, on one line."""
    kept = []
    for part in QUOTED.split(message):
        kept.append(DIGITS.sub(_digits, part))
    quotes = [_quoted(m) for m in QUOTED.finditer(message)]
    out = kept[0] + "".join(q + k for q, k in zip(quotes, kept[1:]))
    return " ".join(out.split())


def holds_values(names) -> bool:
    """Whether a file's header row is a row of data (an export saved without its column names):
    a name with a run of three digits or more, or a bare number. Such a row is a patient's: a
    message says so instead of listing it as the file's columns."""
    return any(VALUE.search(str(name).strip()) for name in names if name is not None)
