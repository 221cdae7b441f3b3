"""Settings declared once: a dataclass field per ini setting, from which everything else is derived.

A settings class (``settings.Settings``, ``cost.CostModel``) declares each of its settings as
a field made by :func:`setting`: the ini name (``INI_PREFIX`` + the field's name unless
given), the colander type and validator, the default, whether it is a secret, how the parsed
value becomes the field's (``convert``) and one line of help. From those declarations come
the colander schema and the parsing (:func:`parse_fields`), the names known to the
unknown-setting check (:func:`ini_names`, :func:`check_known`, with difflib's suggestion) and
the settings reference (:func:`reference`, ``docs/settings.md``).

Rules of this module:

- A missing or bad value raises :class:`SettingsError` naming the ini setting.
- Any value of a ``secret`` setting may be written ``env:NAME`` or ``file:/path``;
  :func:`resolve_secret` is the one place that reads them.
- One boolean rule for every setting (:class:`Bool`): true, 1, yes, on / false, 0, no, off;
  anything else is refused.
- An empty value is the default, as a missing one.
"""

from __future__ import annotations

import builtins
import dataclasses
import difflib
import os
import pathlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import colander

REQUIRED = colander.required
_SPEC = "s3video.setting"


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it."""


class Bool(colander.Boolean):  # type: ignore[misc]  # colander ships no types: its classes are Any
    """The one boolean rule of every setting."""

    def __init__(self) -> None:
        super().__init__(false_choices=("false", "0", "no", "off"), true_choices=("true", "1", "yes", "on"))


@dataclass(frozen=True)
class Spec:
    ini: str | None  # None: the class's INI_PREFIX + the field's name
    type: Callable[[], colander.SchemaType]
    default: Any
    validator: Any
    secret: bool
    convert: (
        Callable[[Any], Any] | None
    )  # the colander value (or the default) -> the field's value; ValueError names the setting
    help: str
    shown_default: str | None  # the default as the reference shows it, when it is computed
    nested: builtins.type[Any] | None = None  # a settings class parsed from the same ini (its own prefix)


def setting(
    ini: str | None = None,
    type: Callable[[], colander.SchemaType] = colander.String,
    default: Any = REQUIRED,
    *,
    validator: Any = None,
    secret: bool = False,
    convert: Callable[[Any], Any] | None = None,
    help: str = "",
    shown_default: str | None = None,
) -> Any:
    """A dataclass field declaring one ini setting (see the module docstring)."""
    spec = Spec(ini, type, default, validator, secret, convert, help, shown_default)
    metadata = {_SPEC: spec}
    try:
        value = convert(default) if convert is not None and default not in (None, REQUIRED) else default
    except ValueError:  # a default its conversion refuses (an empty key list): the field has none
        value = REQUIRED
    if value is REQUIRED:
        return dataclasses.field(repr=not secret, metadata=metadata)
    return dataclasses.field(default=value, repr=not secret, metadata=metadata)


def settings_of(cls: type[Any], help: str = "") -> Any:
    """A field holding another settings class, parsed from the same ini (e.g. the cost model)."""
    spec = Spec(None, colander.String, None, None, False, None, help, None, nested=cls)
    return dataclasses.field(default_factory=cls, metadata={_SPEC: spec})


def declared(cls: type[Any]) -> list[tuple[dataclasses.Field[Any], Spec]]:
    return [(f, f.metadata[_SPEC]) for f in dataclasses.fields(cls) if _SPEC in f.metadata]


def ini_name(cls: type[Any], field_name: str) -> str:
    spec = next(spec for f, spec in declared(cls) if f.name == field_name)
    return spec.ini or f"{cls.INI_PREFIX}{field_name}"


def ini_names(cls: type[Any]) -> tuple[str, ...]:
    """Every ini name the class reads, its nested classes' included."""
    names: list[str] = []
    for f, spec in declared(cls):
        names.extend(ini_names(spec.nested) if spec.nested else [ini_name(cls, f.name)])
    return tuple(names)


def resolve_secret(value: str | None, name: str) -> str | None:
    """Resolve ``env:NAME`` and ``file:/path`` references; plain values pass through."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("env:"):
        variable = value[4:]
        if variable not in os.environ:
            raise SettingsError(f"{name}: environment variable {variable} is not set")
        return os.environ[variable]
    if value.startswith("file:"):
        path = pathlib.Path(value[5:])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from None
    return value


def check_known(
    raw: Mapping[str, Any],
    known: Collection[str],
    prefixes: tuple[str, ...],
    hint: str = "see the settings in README.md",
) -> None:
    """Refuse a key under one of ``prefixes`` that nothing declares, naming the closest known one."""
    problems = []
    for name in sorted(raw):
        if name.startswith(prefixes) and name not in known:
            # compared past the shared prefix, so "s3video." alone does not make two names close
            prefix = next(p for p in prefixes if name.startswith(p))
            rests = {known_name[len(prefix) :]: known_name for known_name in known if known_name.startswith(prefix)}
            close = difflib.get_close_matches(name[len(prefix) :], sorted(rests), n=1, cutoff=0.6)
            problems.append(f"{name}: unknown setting; {f'did you mean {rests[close[0]]}?' if close else hint}")
    if problems:
        raise SettingsError("; ".join(problems))


def parse_fields(cls: type[Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The value of each declared field of ``cls`` from the ini's settings ``raw``: validated by
    colander, defaults where missing or empty, then converted. :class:`SettingsError` names the setting."""
    schema = colander.MappingSchema()
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for f, spec in declared(cls):
        if spec.nested:
            parsed[f.name] = spec.nested(**parse_fields(spec.nested, raw))
            continue
        names[f.name] = name = ini_name(cls, f.name)
        schema.add(colander.SchemaNode(spec.type(), name=f.name, missing=spec.default, validator=spec.validator))
        value = raw.get(name)
        if spec.secret:
            value = resolve_secret(value, name)
        values[f.name] = colander.null if value is None or str(value).strip() == "" else str(value).strip()
    try:
        parsed.update(schema.deserialize(values))
    except colander.Invalid as exc:
        raise SettingsError("; ".join(f"{names[key]}: {message}" for key, message in exc.asdict().items())) from None
    for f, spec in declared(cls):
        if spec.convert is not None and parsed[f.name] is not None:
            try:
                parsed[f.name] = spec.convert(parsed[f.name])
            except ValueError as exc:
                raise SettingsError(f"{names[f.name]}: {exc}") from None
    return parsed


def _shown(spec: Spec) -> str:
    if spec.shown_default is not None:
        return spec.shown_default
    default = spec.default
    if default is REQUIRED or default is None or default == "":
        return "—" if default is REQUIRED else "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, (int, Decimal)):
        return f"{default}"
    return f"`{default}`"


def reference(cls: type[Any]) -> list[tuple[str, str, str]]:
    """(ini name, default, help) of every declared setting, nested classes' included: the docs' table."""
    rows: list[tuple[str, str, str]] = []
    for f, spec in declared(cls):
        if spec.nested:
            rows.extend(reference(spec.nested))
        else:
            rows.append(
                (
                    ini_name(cls, f.name),
                    _shown(spec),
                    spec.help + (" (a secret: `env:NAME` or `file:/path`)" if spec.secret else ""),
                )
            )
    return rows
