"""Load a YAML config file into :class:`Config`, or say exactly what is wrong with it.

Every problem becomes a :class:`ConfigIssue` with the file, the line, the key path and what
was expected, e.g. ``home.yaml:41: entities[2].gpio.pin: 41 is not a GPIO pin (0-27)``.
The whole file is checked before anything is reported, so one run shows every mistake.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from edge_os.config.checks import check_config
from edge_os.config.settings import Config
from edge_os.config.shape import check_shape
from edge_os.errors import ConfigError, ConfigIssue, ErrorCode

CONFIG_ENV = "EDGE_OS_CONFIG"
DEFAULTS_NAME = "<defaults>"
SECRET_WORDS = ("password", "passwd", "secret", "token", "pin", "key")
"""A key whose name holds one of these never has its value shown in an error."""

Location = tuple[str | int, ...]


def search_paths() -> list[Path]:
    """Where a config file is looked for when none is named, in order."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [
        Path("edge-os.yaml"),
        Path(xdg) / "edge-os" / "config.yaml",
        Path("/etc/edge-os/config.yaml"),
    ]


def discover_config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to use: ``explicit``, then ``$EDGE_OS_CONFIG``, then the search paths.

    A named file (argument or environment) is returned even if missing, so loading it
    reports it; None means "no file anywhere: use the built-in defaults".
    """
    if explicit is not None:
        return Path(explicit)
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return next((path for path in search_paths() if path.is_file()), None)


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Load and validate a config file; None gives the built-in defaults.

    Raises :class:`ConfigError` (exit code 2) listing every problem found.
    """
    if path is None:
        return _validate({}, DEFAULTS_NAME, None, Path.cwd())
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            ErrorCode.CONFIG_NOT_FOUND, [ConfigIssue(name, "", "config file not found")]
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ConfigError(
            ErrorCode.CONFIG_UNREADABLE, [ConfigIssue(name, "", f"cannot read: {reason}")]
        ) from None
    return parse_config(text, name, base_dir=path.resolve().parent)


def parse_config(text: str, name: str, base_dir: Path) -> Config:
    """Validate YAML ``text`` from the file called ``name``; relative paths use ``base_dir``."""
    try:
        check_shape(text, name)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)  # its own tree: constructing merges ``<<`` keys in place
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(
            ErrorCode.CONFIG_SYNTAX, [ConfigIssue(name, "", f"invalid YAML: {problem}", line)]
        ) from None
    duplicates = _duplicate_keys(root, ())
    if duplicates:
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            [
                ConfigIssue(name, key_path(loc), "key given twice (the first would be lost)", line)
                for loc, line in duplicates
            ],
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            [ConfigIssue(name, "", f"expected a mapping of settings, got {_kind(data)}", 1)],
        )
    return _validate(data, name, root, base_dir)


def _validate(data: dict[str, Any], name: str, root: yaml.Node | None, base_dir: Path) -> Config:
    try:
        config = Config.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as err:
        issues = [_issue_from_error(error, name, root) for error in err.errors()]
        issues.sort(key=lambda issue: issue.line or 0)  # in file order, like a compiler
        raise ConfigError(ErrorCode.CONFIG_INVALID, issues) from None
    findings = check_config(config)
    if findings:
        raise ConfigError(
            ErrorCode.CONFIG_INVALID,
            [
                ConfigIssue(name, key_path(f.location), f.message, _line(root, f.location))
                for f in findings
            ],
        )
    return config


def key_path(loc: Sequence[str | int]) -> str:
    """``("entities", 2, "gpio", "pin")`` -> ``entities[2].gpio.pin``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _issue_from_error(error: ErrorDetails, name: str, root: yaml.Node | None) -> ConfigIssue:
    # pydantic appends the model-validator's class name for "after" validators; drop it.
    loc: Location = tuple(part for part in error["loc"] if not _is_model_tag(part))
    return ConfigIssue(name, key_path(loc), _message(error, loc), _line(root, loc))


def _is_model_tag(part: str | int) -> bool:
    return isinstance(part, str) and part[:1].isupper()


def _message(error: ErrorDetails, loc: Location) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    shown = _hidden(value) if _is_secret(loc) else _shown(value)
    if kind == "extra_forbidden":
        key = loc[-1]
        allowed = _allowed_keys(loc[:-1])
        hint = difflib.get_close_matches(str(key), allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"unknown key {key!r} (expected one of: {', '.join(allowed)}){suggestion}"
    if kind == "missing":
        return "required key is missing"
    if kind in {"literal_error", "enum"}:
        return f"expected one of {ctx.get('expected')}, got {shown}"
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return f"expected {expected}, got {shown}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    for bound, words in _BOUNDS.items():
        if bound in ctx and kind != "too_short":
            return f"expected {words} {ctx[bound]}, got {shown}"
    if kind in {"too_short", "string_too_short"}:
        return "must not be empty"
    return error["msg"]


_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "path_type": "a path",
}
_BOUNDS = {
    "ge": "at least",
    "gt": "more than",
    "le": "at most",
    "lt": "less than",
}


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _is_secret(loc: Location) -> bool:
    """Whether any key on the path names a secret (password, token, pin, ...)."""
    return any(
        word in part.lower() for part in loc if isinstance(part, str) for word in SECRET_WORDS
    )


def _hidden(value: object) -> str:
    """What kind of value was given, never the value itself."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return _shown(value)
    if isinstance(value, int):
        return "an integer (value hidden)"
    if isinstance(value, float):
        return "a number (value hidden)"
    if isinstance(value, str):
        return "a string (value hidden)"
    return "a value (hidden)"


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return repr(value)


def _allowed_keys(loc: Location) -> list[str]:
    """Keys the model at ``loc`` accepts, found by walking the schema's annotations."""
    target: Any = Config
    for part in loc:
        target = _unwrap(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            field = target.model_fields.get(str(part))
            if field is None:
                return []
            target = field.annotation
        else:
            args = typing.get_args(target)
            if not args:
                return []
            target = args[-1]  # list[X] -> X, dict[K, V] -> V
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return list(target.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """``X | None`` -> ``X`` (only optional unions occur in the schema)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return options[0] if len(options) == 1 else annotation
    return annotation


def _line(root: yaml.Node | None, loc: Location) -> int | None:
    """1-based line of the key at ``loc`` (or of its nearest existing parent)."""
    if root is None:
        return None
    node, line = root, int(root.start_mark.line) + 1
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        node, line = found
    return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, int] | None:
    """The child node at ``part`` and the line that names it (its key, or the list item)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value, int(key.start_mark.line) + 1
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        child: yaml.Node = node.value[part]
        return child, int(child.start_mark.line) + 1
    return None


def _duplicate_keys(
    node: yaml.Node | None, loc: Location, visited: set[int] | None = None
) -> list[tuple[Location, int]]:
    """Mapping keys given twice; PyYAML would silently keep only the last.

    A node reached again through an alias is checked once, where it first appears.
    """
    visited = set() if visited is None else visited
    if node is None or id(node) in visited:
        return []
    visited.add(id(node))
    found: list[tuple[Location, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                found.append(((*loc, name), int(key.start_mark.line) + 1))
            seen.add(name)
            found.extend(_duplicate_keys(value, (*loc, name), visited))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.extend(_duplicate_keys(item, (*loc, index), visited))
    return found


def dump_config(config: Config, *, redact: bool = True) -> dict[str, Any]:
    """The effective config as plain data (secrets shown as ``**********`` unless asked)."""
    data = config.model_dump(mode="json", exclude_none=False)
    if not redact and config.mqtt.password is not None:
        data["mqtt"]["password"] = config.mqtt.password.get_secret_value()
    return data


def to_yaml(data: Mapping[str, Any]) -> str:
    """YAML text in the key order of the schema."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)
