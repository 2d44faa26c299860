"""Refuse YAML whose shape would hang or crash the loader: alias bombs and deep nesting.

PyYAML's parser is iterative, but composing, constructing and every later walk (duplicate
keys, validation) recurse once per level and follow each alias, so a nine-line "billion
laughs" file or a few thousand ``[`` would run for minutes or end in a RecursionError.
:func:`check_shape` reads the parser's events alone and stops at the first such problem.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from edge_os.errors import ConfigError, ConfigIssue, ErrorCode

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted (the schema itself needs 5)."""
MAX_VALUES = 100_000
"""Most values (scalars, mappings, lists) a config may hold with every alias expanded."""


@dataclass
class _Open:
    """A mapping or list the shape check is inside of."""

    anchor: str | None
    level: int
    """1 for the top-level collection."""
    values_before: int
    deepest: int


def check_shape(text: str, name: str) -> None:
    """Raise :class:`ConfigError` (file, line, what was expected) for an alias bomb, a
    recursive alias or nesting past :data:`MAX_DEPTH`; ``name`` is the file's name.

    Counts values as if every alias were expanded, without expanding any.
    """
    expanded: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels) with aliases expanded
    stack: list[_Open] = []
    values = 0

    def refuse(event: yaml.Event, message: str) -> ConfigError:
        mark = event.start_mark
        line = None if mark is None else int(mark.line) + 1
        return ConfigError(ErrorCode.CONFIG_INVALID, [ConfigIssue(name, "", message, line)])

    for event in _events(text):
        if isinstance(event, yaml.AliasEvent):
            anchor = str(event.anchor)
            if anchor not in expanded:
                if any(frame.anchor == anchor for frame in stack):
                    raise refuse(
                        event,
                        f"alias *{anchor} is used inside its own anchor "
                        "(expected aliases to finished values only)",
                    )
                continue  # an undefined alias: composing reports it
            size, levels = expanded[anchor]
            values += size
            if values > MAX_VALUES:
                raise refuse(
                    event,
                    f"alias *{anchor} expands the config past {MAX_VALUES} values (expected "
                    f"at most {MAX_VALUES}: every alias is a full copy of its anchor)",
                )
            if stack:
                depth = stack[-1].level + levels
                if depth > MAX_DEPTH:
                    raise refuse(
                        event,
                        f"alias *{anchor} nests the config {depth} levels deep "
                        f"(expected at most {MAX_DEPTH} levels of mappings and lists)",
                    )
                stack[-1].deepest = max(stack[-1].deepest, depth)
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            values += 1
            if values > MAX_VALUES:
                raise refuse(
                    event, f"more than {MAX_VALUES} values (expected at most {MAX_VALUES})"
                )
            if isinstance(event, yaml.ScalarEvent):
                if event.anchor is not None:
                    expanded[str(event.anchor)] = (1, 0)
                continue
            level = len(stack) + 1
            if level > MAX_DEPTH:
                raise refuse(
                    event,
                    f"mappings and lists nested more than {MAX_DEPTH} levels deep "
                    f"(expected at most {MAX_DEPTH})",
                )
            opened = None if event.anchor is None else str(event.anchor)
            stack.append(_Open(opened, level, values - 1, level))
        elif isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            if done.anchor is not None:
                expanded[done.anchor] = (values - done.values_before, done.deepest - done.level + 1)
            if stack:
                stack[-1].deepest = max(stack[-1].deepest, done.deepest)


def _events(text: str) -> Iterator[yaml.Event]:
    """The parser's events up to the first mistake, if any.

    A syntax error ends the events quietly: composing meets the same events (checked by
    then) and reports it, with the line and words of every other YAML message.
    """
    with contextlib.suppress(yaml.YAMLError):
        yield from yaml.parse(text, Loader=yaml.SafeLoader)
