"""Key paths into the config (``intent.model_act_confidence``, ``entities[2].gpio.pin``).

Checked against the schema itself, so an unknown key is refused before anything is read or
written, with the nearest valid keys named.
"""

from __future__ import annotations

import difflib
import types
import typing
from enum import EnumMeta
from typing import Any

from pydantic import BaseModel

from edge_os.config.loader import key_path
from edge_os.config.settings import Config
from edge_os.errors import ErrorCode, UsageError

Location = tuple[str | int, ...]


def parse_key(key: str) -> Location:
    """``entities[2].gpio.pin`` -> ``("entities", 2, "gpio", "pin")``; UsageError if malformed."""
    loc: list[str | int] = []
    for part in key.split("."):
        name, _, rest = part.partition("[")
        if not name and not (loc and rest):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{key!r} is not a key path")
        if name:
            loc.append(name)
        while rest:
            index, bracket, rest = rest.partition("]")
            if not bracket or not index.isdigit() or (rest and not rest.startswith("[")):
                raise UsageError(
                    ErrorCode.CONFIG_INVALID,
                    f"{key!r} is not a key path (expected e.g. entities[2].name)",
                )
            loc.append(int(index))
            rest = rest[1:]
    return tuple(loc)


def schema_keys() -> list[str]:
    """Every key path of the schema (sections and settings; list items as ``[0]``)."""
    found: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            found.append(path)
            inner = unwrap(field.annotation)
            if typing.get_origin(inner) is list:
                inner = unwrap(typing.get_args(inner)[0])
                path += "[0]"
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                walk(inner, path)

    walk(Config, "")
    return found


def check_key(loc: Location) -> None:
    """Raise UsageError naming the nearest valid keys when ``loc`` is not in the schema."""
    schema_at(loc)


def schema_at(loc: Location) -> Any:
    """The schema's type at ``loc`` (a model class, ``list[X]``, ``str``, ...).

    Raises UsageError, naming the nearest valid keys, when ``loc`` is not in the schema.
    """
    target: Any = Config
    for depth, part in enumerate(loc):
        target = unwrap(target)
        origin = typing.get_origin(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            field = target.model_fields.get(str(part))
            if field is None or not isinstance(part, str):
                raise UsageError(ErrorCode.CONFIG_INVALID, _unknown(loc, depth))
            target = field.annotation
        elif origin is list and isinstance(part, int):
            target = typing.get_args(target)[0]
        elif origin is dict and isinstance(part, str):
            key_type, target = typing.get_args(target)
            members: list[Any] = list(key_type) if isinstance(key_type, EnumMeta) else []
            allowed = [str(member.value) for member in members]
            if allowed and part not in allowed:
                raise UsageError(
                    ErrorCode.CONFIG_INVALID,
                    f"{key_path(loc)}: unknown key {part!r} (expected one of: "
                    f"{', '.join(allowed)})",
                )
        else:
            raise UsageError(ErrorCode.CONFIG_INVALID, _unknown(loc, depth))
    return unwrap(target)


def field_order(loc: Location) -> list[str]:
    """Keys of the mapping at ``loc`` in the schema's order ([] for free-form mappings)."""
    target = schema_at(loc)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return list(target.model_fields)
    return []


def _unknown(loc: Location, depth: int) -> str:
    key = key_path(loc)
    keys = schema_keys()
    generic = key_path(tuple(0 if isinstance(part, int) else part for part in loc))
    near = difflib.get_close_matches(generic, keys, n=3, cutoff=0.6)
    if not near:
        parent = key_path(tuple(0 if isinstance(p, int) else p for p in loc[:depth]))
        near = [k for k in keys if k.startswith(f"{parent}.") and "." not in k[len(parent) + 1 :]]
        near = near or [k for k in keys if "." not in k and "[" not in k]
    shown = ", ".join(near[:8]) + (", ..." if len(near) > 8 else "")
    return f"{key}: unknown key (nearest valid keys: {shown})"


def unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X``; ``Annotated[X, ...]`` -> ``X``."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(options) == 1:
            return unwrap(options[0])
    return annotation
