"""Render the configuration reference (Markdown) from the schema's own docstrings.

``python -m edge_os.config.reference`` prints it; ``... reference README.md`` rewrites the
part of the README between the markers. A test keeps the two identical, so the
documentation cannot drift from the code.
"""

from __future__ import annotations

import json
import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from edge_os.config.settings import Config
from edge_os.devices.entity import Area, Entity, GpioBinding, MqttBinding

BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"

_DYNAMIC_DEFAULTS = {"state_dir": "`$STATE_DIRECTORY`, else `~/.local/state/edge-os`"}


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(arg) for arg in args)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if isinstance(annotation, types.UnionType) or origin is typing.Union:
        return " \\| ".join(_type_name(arg) for arg in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}"
    if annotation is type(None):
        return "null"
    if annotation is SecretStr:
        return "str (secret)"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation.__name__.lower()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _default(name: str, field: FieldInfo) -> str:
    if name in _DYNAMIC_DEFAULTS:
        return _DYNAMIC_DEFAULTS[name]
    if field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "**required**"
    else:
        value = field.default
    if isinstance(value, BaseModel):
        return "(section)"
    return f"`{json.dumps(value, default=str)}`"


def _bounds(field: FieldInfo) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
    return f" ({', '.join(parts)})" if parts else ""


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(_rows(annotation, f"{key}."))
            continue
        # one line: a docstring's line breaks would end the table row
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(
            f"| `{key}` | {_type_name(annotation)}{_bounds(field)} | {_default(name, field)} "
            f"| {description} |"
        )
    return rows


def _table(title: str, model: type[BaseModel], prefix: str, skip: set[str]) -> str:
    rows = [row for row in _rows(model, prefix) if row.split("`")[1] not in skip]
    header = "| key | type | default | meaning |\n|---|---|---|---|"
    return f"#### {title}\n\n{header}\n" + "\n".join(rows) + "\n"


def render() -> str:
    """The whole reference as Markdown."""
    sections = [
        _table("Settings", Config, "", {"areas", "entities"}),
        _table("`areas[]`", Area, "", set()),
        _table("`entities[]`", Entity, "", set()),
        _table("`entities[].mqtt`", MqttBinding, "", set()),
        _table("`entities[].gpio`", GpioBinding, "", set()),
    ]
    return "\n".join(sections)


def embed(document: str) -> str:
    """``document`` with the text between the reference markers replaced by :func:`render`."""
    start = document.index(BEGIN) + len(BEGIN)
    end = document.index(END)
    return f"{document[:start]}\n{render()}{document[end:]}"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        target.write_text(embed(target.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(render(), end="")
