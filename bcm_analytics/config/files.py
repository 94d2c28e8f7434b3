"""Reading a configuration file a person wrote, and refusing a mistake in one line.

Rules files, outcome definitions and settings are typed pydantic models that forbid unknown keys
(`Strict`). Pydantic finds every mistake; this module turns the first one into a sentence a
program manager can act on: `file: key: problem`, naming the nearest valid key for a misspelling
(difflib) and what a wrong value must be (each field's `description`). The sentence never
echoes more than a short value: a file given by mistake (a patient export instead of YAML) must
not end up on a screen or in a log.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import json
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo

YAML_SUFFIXES = (".yaml", ".yml")


class ConfigError(ValueError):
    """A configuration file (or variable) the program cannot use: `file: key: problem`, one line."""

    def __init__(self, file: str | Path, key: str, problem: str):
        self.file, self.key, self.problem = str(file), key, problem
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")


class Strict(BaseModel):
    """A block of a configuration file: unknown keys are refused, values are not coerced
    ("4" is not a number, "yes" is not true), and the model cannot be changed once checked."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)
    noun: ClassVar[str] = "key"  # what an unknown name is called in a message ("unknown setting")


# --- reading YAML ------------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader for config files and profiles: PyYAML keeps the last of two equal keys without
    a word and raises a bare ValueError on a date that does not exist; here both are refused at
    their line."""


def _mapping_without_duplicates(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False):
    """Two keys are the same key when they read the same once checked: a date written plain and
    one written in quotes (2026-07-01 and "2026-07-01") are one date to the models, which would
    keep the second without a word."""
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        same = _text(key).strip() if isinstance(key, (str, date)) else key
        if same in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {_short(key)}", key_node.start_mark)
        seen.add(same)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _real_date(loader: yaml.SafeLoader, node: yaml.Node) -> date:
    """A YAML date that does not exist (2027-02-30, 2027-13-01) is refused at its line: PyYAML
    raises a bare ValueError, which named neither the file nor the place."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise yaml.constructor.ConstructorError(None, None, f"{node.value} is not a date ({e})", node.start_mark) from None


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _real_date)


def read_yaml(path: Path, error: type[ConfigError], what: str) -> dict:
    """A YAML mapping from `path`, or `error` in one line that quotes nothing of the file.

    `what` names the kind of file for the message ("rules file", "definitions file").
    """
    if path.suffix.lower() not in YAML_SUFFIXES:
        raise error(path, "", f"not a {what}: expected a YAML file ending in .yaml or .yml")
    text = read_text(path, error, what, "YAML")
    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or "not valid YAML"
        raise error(path, f"line {mark.line + 1}" if mark else "", f"not valid YAML: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise error(path, "", f"not a {what}: expected a mapping of keys to values, found {_kind(data)}")
    return data


def read_text(path: Path, error: type[ConfigError], what: str, kind: str) -> str:
    """A configuration file's text (UTF-8, with or without a byte-order mark), or `error` in one
    line saying how to save it: a file saved as UTF-16 (Excel's and Notepad's "Unicode") is text,
    and is not called binary. `kind` names the text expected ("YAML", "CSV")."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise error(path, "", f"cannot be read ({e.strerror})") from None
    if _utf16(raw):
        excel = " (in Excel: Save As, CSV UTF-8)" if kind == "CSV" else ""
        raise error(path, "", f"not a {what} as bcm reads it: saved as UTF-16 (Unicode) text; save it as UTF-8{excel}")
    if b"\x00" in raw:
        raise error(path, "", f"not a {what}: it is a binary file, not {kind} text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise error(path, "", f"not a {what}: byte {e.start + 1} is not UTF-8 text; save it as UTF-8") from None


def _utf16(raw: bytes) -> bool:
    """UTF-16 text: a byte-order mark, or (without one) a zero byte beside every character of a
    mostly-ASCII start, as a binary file does not have."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = raw[:256]
    pairs = len(head) // 2
    return pairs >= 4 and max(head[0::2].count(0), head[1::2].count(0)) >= 0.9 * pairs


def _kind(value: Any) -> str:
    return {str: "text", list: "a list", int: "a number", float: "a number", bool: "true/false"}.get(type(value), type(value).__name__)


# --- validating and explaining -----------------------------------------------------------------


def validate(model: type[BaseModel], data: Any, error: type[ConfigError], where: typing.Callable[[tuple], str | Path]):
    """`model` checked from `data`; the first mistake raised as `error` in one line.

    `where(loc)` names the file a key came from (a merged file has several sources).
    """
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = _first(e.errors())
        key, problem = explain(model, first, data)
        raise error(where(tuple(first["loc"])), key, problem) from None


def _first(errors: list[dict]) -> dict:
    """An unknown key first (the likeliest cause of any other error in its block), else the first."""
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def explain(model: type[BaseModel], err: dict, data: Any = None) -> tuple[str, str]:
    """(dotted key, problem) for one pydantic error of `model` validating `data`."""
    path, owner, field = _walk(model, err["loc"], data)
    key = ".".join(path)
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return key, _unknown(owner, path[-1])
    if kind == "missing":
        return key, "is required"
    if kind in ("value_error", "assertion_error") and "error" in (err.get("ctx") or {}):
        return key, str(err["ctx"]["error"])
    what = field.description if field is not None and field.description else _TYPE_WORDS.get(kind)
    if what is None:
        what = err["msg"][0].lower() + err["msg"][1:]
        return key, f"{what} (got {_short(value)})"
    return key, f"must be {what} (got {_short(value)})"


_TYPE_WORDS = {
    "int_type": "a whole number", "int_from_float": "a whole number", "int_parsing": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
    "bool_parsing": "true or false", "string_type": "text", "list_type": "a list", "tuple_type": "a list",
    "dict_type": "a mapping of names to values", "model_type": "a mapping of names to values",
    "model_attributes_type": "a mapping of names to values", "date_type": "a date YYYY-MM-DD",
    "date_parsing": "a date YYYY-MM-DD", "date_from_datetime_parsing": "a date YYYY-MM-DD",
}


def _unknown(owner: type[BaseModel] | None, name: str) -> str:
    noun = getattr(owner, "noun", "key")
    valid = field_keys(owner) if owner is not None else []
    near = nearest(name, valid)
    if near:
        return f"unknown {noun}; did you mean {near!r}?"
    return f"unknown {noun}; expected one of: {', '.join(valid)}"


def nearest(name: str, valid: list[str], cutoff: float = 0.6) -> str | None:
    """The valid name closest to a misspelled one (difflib), when one is close enough."""
    found = difflib.get_close_matches(str(name), valid, n=1, cutoff=cutoff)
    if not found:
        lowered = {v.lower(): v for v in valid}
        found = [lowered[m] for m in difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=cutoff)]
    return found[0] if found else None


def field_keys(model: type[BaseModel]) -> list[str]:
    """The keys a block accepts, as written in the file (aliases where a key is not a Python name)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def _walk(model: type[BaseModel], loc: tuple, data: Any) -> tuple[list[str], type[BaseModel] | None, Any]:
    """Follow a pydantic error location through the model: the key path as the file writes it,
    the block the last key belongs to, and that key's field (for its description).

    Locations also hold union tags and '[key]' markers, which are not keys and are dropped;
    list positions are dropped too (the message names the list, and quotes the wrong item).
    A mapping key that is not text (a date) is named as the file writes it, not as its repr.
    """
    path: list[str] = []
    kind: Any = model
    owner, field = None, None
    for i, part in enumerate(loc):
        if part == "[key]":
            continue
        if _is_union_tag(kind, part):
            continue
        part, data = _key_in(data, part)
        kind, described = _unwrap(kind)
        field = described or field
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            owner = kind
            by_key = {f.alias or name: f for name, f in kind.model_fields.items()}
            path.append(str(part))
            if part in by_key:
                field, kind = by_key[part], by_key[part].annotation
            else:
                field, kind = None, None
            continue
        origin = typing.get_origin(kind)
        if origin is dict:  # the key's own type where the key is wrong ('[key]' follows it), else the value's
            path.append(_text(part))
            kind = typing.get_args(kind)[0 if loc[i + 1:i + 2] == ("[key]",) else 1]
        elif origin in (list, tuple) and isinstance(part, int):
            kind = typing.get_args(kind)[0]
    _, described = _unwrap(kind)
    return path, owner, described or field


def _is_union_tag(kind: Any, part: Any) -> bool:
    """Whether a location part names the union member pydantic tried ('str', 'AlsoAccept',
    'list[...]'), which is not a key of the file."""
    while typing.get_origin(kind) is typing.Annotated:
        kind = typing.get_args(kind)[0]
    if typing.get_origin(kind) not in (typing.Union, types.UnionType) or not isinstance(part, str):
        return False
    names = {getattr(m, "__name__", str(m)).lower() for m in typing.get_args(kind)}
    return part.lower() in names or part.lower() in ("none", "str", "int", "float", "bool") or "[" in part


def _key_in(data: Any, part: Any) -> tuple[Any, Any]:
    """(the input's own key for a location part, the value under it)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == part or (not isinstance(key, str) and part in (repr(key), str(key))):
                return key, value
        return part, None
    if isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
        return part, data[part]
    return part, data


def _unwrap(kind: Any) -> tuple[Any, FieldInfo | None]:
    """Annotated[X, Field(description=...)] -> X and that field; a union -> its member that can
    hold keys (a block, a mapping or a list), else its first member."""
    described = None
    while True:
        origin = typing.get_origin(kind)
        if origin is typing.Annotated:
            args = typing.get_args(kind)
            described = next((a for a in args[1:] if isinstance(a, FieldInfo) and a.description), described)
            kind = args[0]
        elif origin in (typing.Union, types.UnionType):
            members = [m for m in typing.get_args(kind) if m is not type(None)]
            fitting = [m for m in members if _holds_keys(m)]
            kind = fitting[0] if fitting else members[0]
        else:
            return kind, described


def _holds_keys(kind: Any) -> bool:
    base = typing.get_args(kind)[0] if typing.get_origin(kind) is typing.Annotated else kind
    return typing.get_origin(base) in (dict, list) or (isinstance(base, type) and issubclass(base, BaseModel))


def _text(part: Any) -> str:
    return part.isoformat() if isinstance(part, date) else str(part)


def _short(value: Any, limit: int = 40) -> str:
    """A value quoted in a message, cut short: a message must never reproduce a file's content."""
    text = value.isoformat() if isinstance(value, date) else repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'"


# --- content digests ---------------------------------------------------------------------------


def digest(content: Any) -> str:
    """sha256 of content as canonical JSON: key order and file paths do not change it."""
    text = json.dumps(_plain(content), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """JSON-ready: mapping keys as text, dates as ISO text, sets sorted."""
    if isinstance(value, dict):
        return {_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value
