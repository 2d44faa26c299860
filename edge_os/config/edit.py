"""Change the config file in place: round-trip YAML edits, validated, written atomically.

ruamel.yaml keeps the user's comments, key order, quoting and indentation; the edited text
is checked by the loader itself (:func:`~edge_os.config.loader.parse_config`) before it
replaces the file, so an edit that would not load is never written. Values are read as the
loader reads them (PyYAML, YAML 1.1): ``config set wake.int8 yes`` means ``true``.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from edge_os.config.keys import Location, field_order
from edge_os.config.loader import key_path, parse_config, search_paths
from edge_os.config.settings import Config
from edge_os.errors import ConfigError, ConfigIssue, ErrorCode, UsageError

HEADER = (
    "# edge-os configuration, created by `edge-os {command}`.\n"
    "# Every setting and its default: `edge-os config show`; change one with\n"
    "# `edge-os config set KEY VALUE`, or edit this file and run `edge-os config validate`.\n"
)
"""First lines of a config file edge-os creates ({command}: the command that made it)."""


def default_path() -> Path:
    """Where a new config file is created: the user's ``~/.config/edge-os/config.yaml``."""
    return search_paths()[1]


def parse_value(text: str) -> Any:
    """A command-line value read as a YAML scalar or flow collection (``0.8``, ``[a, b]``)."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or str(err)
        raise UsageError(
            ErrorCode.CONFIG_SYNTAX, f"{text!r} is not a YAML value: {problem}"
        ) from None
    flow = text.lstrip().startswith(("[", "{"))
    return _round_trip(value, flow=flow)


def _round_trip(value: Any, *, flow: bool = False) -> Any:
    """Plain data as ruamel nodes that PyYAML reads back unchanged."""
    if isinstance(value, dict):
        mapping = CommentedMap((str(k), _round_trip(v, flow=flow)) for k, v in value.items())
        if flow:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        seq = CommentedSeq(_round_trip(item, flow=flow) for item in value)
        if flow:
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str):
        # ruamel writes YAML 1.2, the loader reads 1.1: quote what 1.1 would read otherwise
        try:
            same = yaml.safe_load(value) == value
        except yaml.YAMLError:
            same = False
        return value if same and value.strip() == value else DoubleQuotedScalarString(value)
    return value


def yaml_node(value: Any) -> Any:
    """Plain data (dicts, lists, scalars) as block-style nodes to add to a document."""
    return _round_trip(value)


class ConfigDocument:
    """A config file as text plus its ruamel tree; edits change only the lines they touch.

    Each edit is made on the text (a value replaced in its line, a key's lines inserted or
    cut) at the places ruamel's tree reports, then the tree is read again. A value inside a
    flow mapping (``- {id: kitchen, name: Kitchen}``) is the exception: the tree is edited
    and the whole document written by ruamel, which keeps comments and order as well.
    """

    def __init__(self, path: Path, text: str, *, exists: bool) -> None:
        self.path = path
        """The file edited (or to be created)."""
        self.text = text
        """The file's text as read (edge-os's header for a new file)."""
        self.exists = exists
        """Whether the file is there already."""
        self._yaml = _round_tripper(text)
        self._text = text
        """The document's text after the edits so far."""
        self.data: CommentedMap = self._parse(text)
        """The YAML tree of ``_text`` (ruamel's round-trip types)."""

    @classmethod
    def open(cls, path: Path, *, command: str) -> ConfigDocument:
        """The document of ``path``; a missing file starts as edge-os's header comment."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path, HEADER.format(command=command), exists=False)
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise ConfigError(
                ErrorCode.CONFIG_UNREADABLE,
                [ConfigIssue(str(path), "", f"cannot read: {reason}")],
            ) from None
        return cls(path, text, exists=True)

    def _parse(self, text: str) -> CommentedMap:
        try:
            data = self._yaml.load(text) if text.strip() else None
        except RuamelYAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(err, "problem", None) or str(err)
            raise ConfigError(
                ErrorCode.CONFIG_SYNTAX,
                [ConfigIssue(str(self.path), "", f"invalid YAML: {problem}", line)],
            ) from None
        if data is None:
            return CommentedMap()
        if not isinstance(data, CommentedMap):
            raise ConfigError(
                ErrorCode.CONFIG_INVALID,
                [ConfigIssue(str(self.path), "", "expected a mapping of settings", 1)],
            )
        return data

    def current(self) -> Config | None:
        """The config as the file holds it now, or None if it does not load."""
        try:
            return self.validate(self.text)
        except ConfigError:
            return None

    def find(self, loc: Location) -> Any:
        """The node at ``loc``, or KeyError when the file does not have it."""
        node: Any = self.data
        for part in loc:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    raise KeyError(part)
            elif not isinstance(node, dict) or part not in node:
                raise KeyError(part)
            node = node[part]
        return node

    def render(self) -> str:
        """The edited text."""
        return self._text

    def validate(self, text: str) -> Config:
        """Load ``text`` as this file would load (relative paths from the file's folder)."""
        return parse_config(text, str(self.path), base_dir=self.path.resolve().parent)

    def save(self) -> Config:
        """Validate the edited text and replace the file atomically; returns the config.

        Raises the loader's ConfigError, without touching the file, if it would not load.
        """
        config = self.validate(self._text)
        write_atomic(self.path, self._text)
        self.text, self.exists = self._text, True
        return config

    def set(self, loc: Location, value: Any) -> None:
        """Set ``loc`` to ``value`` (see :func:`parse_value`), adding missing mappings."""
        depth = len(loc)
        while depth > 0:
            try:
                self.find(loc[:depth])
                break
            except KeyError:
                depth -= 1
        if depth == len(loc):
            self._replace(loc, value)
            return
        if any(isinstance(part, int) for part in loc[depth:]):
            raise UsageError(
                ErrorCode.CONFIG_INVALID,
                f"{key_path(loc[: depth + 1])}: no such item in {self.path}",
            )
        nested = value
        for part in reversed(loc[depth + 1 :]):
            nested = CommentedMap([(part, nested)])
        parent = self.find(loc[:depth])
        if parent is None and depth:
            self._replace(loc[:depth], CommentedMap([(loc[depth], nested)]))
        elif isinstance(parent, dict):
            self._insert(loc[:depth], str(loc[depth]), nested)
        else:
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{key_path(loc[:depth])} is not a mapping")

    def append(self, loc: Location, item: Any) -> None:
        """Add ``item`` at the end of the list at ``loc`` (created when missing)."""
        try:
            seq = self.find(loc)
        except KeyError:
            seq = None
        if seq is None:
            self.set(loc, CommentedSeq([item]))
            return
        if not isinstance(seq, CommentedSeq):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{key_path(loc)} is not a list")
        lines = self._text.splitlines(keepends=True)
        last = len(seq) - 1
        span = _block_span(seq, last, lines) if seq and not seq.fa.flow_style() else None
        if span is None:
            self._replace(loc, CommentedSeq([*seq, item]))
            return
        first, end = span
        dash = len(lines[first]) - len(lines[first].lstrip())
        above = first - 1
        while above >= 0 and lines[above].lstrip().startswith("#"):
            above -= 1  # a section comment over the last item
        gap = "\n" if len(seq) > 1 and above >= 0 and not lines[above].strip() else ""
        self._splice(end, end, gap + self._snippet(CommentedSeq([item]), dash))

    def unset(self, loc: Location) -> bool:
        """Remove ``loc`` from the file (then parents left empty); False if it was not set.

        A block key or list item is cut out of the text line by line, so the comment lines
        and blank lines below it, which introduce what follows, stay where they are.
        """
        try:
            self.find(loc)
        except KeyError:
            return False
        while loc:
            self._delete(loc)
            loc = loc[:-1]
            if not loc or isinstance(loc[-1], int):
                break
            node = self.find(loc)
            if node is not None and (not isinstance(node, dict | list) or len(node)):
                break
        return True

    def _replace(self, loc: Location, value: Any) -> None:
        parent: Any = self.find(loc[:-1])
        part = loc[-1]
        if _flow(parent):
            self._rewrite_tree(loc, value)
            return
        lines = self._text.splitlines(keepends=True)
        if isinstance(parent, CommentedSeq):
            line, col = parent.lc.item(part)
        else:
            key_line, _, line, col = parent.lc.data[part]
            if line != key_line:  # "key:" with the value on the lines below, or none
                line, col = key_line, len(lines[key_line].rstrip("\r\n"))
        inline = self._inline(value)
        span = _block_span(parent, part, lines)
        on_one_line = span is not None and span[1] - span[0] == 1
        old = _value_bounds(lines[line], col)
        if inline is not None and old is not None and (on_one_line or span is None):
            start, end, comment = old
            text = lines[line]
            gap = max(1, comment - start - len(inline)) if comment is not None else 0
            tail = " " * gap + text[comment:] if comment is not None else text[end:].lstrip(" ")
            if text[:start].endswith(":"):
                inline = " " + inline
            self._splice(line, line + 1, text[:start] + inline + tail)
            return
        if span is None:
            self._rewrite_tree(loc, value)
            return
        first, end = span
        indent = len(lines[first]) - len(lines[first].lstrip())
        entry = CommentedSeq([value]) if isinstance(parent, list) else CommentedMap([(part, value)])
        self._splice(first, end, self._snippet(entry, indent))

    def _insert(self, parent_loc: Location, key: str, value: Any) -> None:
        parent = self.find(parent_loc) if parent_loc else self.data
        lines = self._text.splitlines(keepends=True)
        entry = CommentedMap([(key, value)])
        if not parent:  # a file with no settings yet
            gap = "\n" if lines and lines[-1].strip() else ""
            self._splice(len(lines), len(lines), gap + self._snippet(entry, 0))
            return
        if _flow(parent):
            self._rewrite_tree((*parent_loc, key), value)
            return
        rank = {name: index for index, name in enumerate(field_order(parent_loc))}
        keys = list(parent)
        before = [k for k in keys if k in rank and key in rank and rank[k] < rank[key]]
        previous = before[-1] if before else None
        indent = parent.lc.key(keys[0])[1]
        if previous is None and not lines[parent.lc.key(keys[0])[0]][:indent].strip():
            at = parent.lc.key(keys[0])[0]
            gap_after = "\n" if not parent_loc and "\n\n" in self._text else ""
            self._splice(at, at, self._snippet(entry, indent) + gap_after)
            return
        _, at = _line_span(parent.lc.key(previous or keys[-1]), lines)
        gap = "\n" if not parent_loc and "\n\n" in self._text else ""
        self._splice(at, at, gap + self._snippet(entry, indent))

    def _delete(self, loc: Location) -> None:
        """Remove the key or item at ``loc`` from the text (block style) or the tree (flow)."""
        parent, part = self.find(loc[:-1]), loc[-1]
        lines = self._text.splitlines(keepends=True)
        span = None if _flow(parent) else _block_span(parent, part, lines)
        if span is None:
            del parent[part]
            self._dump_tree()
            return
        first, end = span
        blank_before = first == 0 or not lines[first - 1].strip()
        if blank_before and end < len(lines) and not lines[end].strip():
            end += 1  # one blank line between neighbours, not two
        elif blank_before and first > 0 and end == len(lines):
            first -= 1  # nothing follows: the blank line above has nothing left to part
        self._splice(first, end, "")

    def _rewrite_tree(self, loc: Location, value: Any) -> None:
        self.find(loc[:-1])[loc[-1]] = value
        self._dump_tree()

    def _dump_tree(self) -> None:
        out = io.StringIO()
        if self.data:
            self._yaml.dump(self.data, out)
        self._text = out.getvalue()
        self.data = self._parse(self._text)

    def _splice(self, first: int, end: int, text: str) -> None:
        """Replace lines ``[first, end)`` with ``text`` and read the tree again."""
        lines = self._text.splitlines(keepends=True)
        if first == len(lines) and lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        self._text = "".join([*lines[:first], text, *lines[end:]])
        self.data = self._parse(self._text)

    def _snippet(self, entry: Any, indent: int) -> str:
        """``entry`` (a one-key mapping or a one-item list) as block YAML at ``indent``."""
        out = io.StringIO()
        self._yaml.dump(entry, out)
        rows = out.getvalue().splitlines(keepends=True)
        common = min(len(r) - len(r.lstrip(" ")) for r in rows if r.strip())
        return "".join(" " * indent + r[common:] if r.strip() else r for r in rows)

    def _inline(self, value: Any) -> str | None:
        """``value`` as it is written after ``key: `` on one line, or None if it needs more."""
        out = io.StringIO()
        self._yaml.dump(CommentedMap([("k", value)]), out)
        text = out.getvalue()
        if text.count("\n") != 1 or not text.startswith("k: "):
            return None
        return text[3:-1]


def _flow(node: Any) -> bool:
    return bool(getattr(node, "fa", None) is not None and node.fa.flow_style())


def _value_bounds(line: str, col: int) -> tuple[int, int, int | None] | None:
    """Where a one-line value starting at ``col`` ends, and where a comment after it starts.

    None when the value goes on past this line (block scalar, open bracket or quote).
    """
    body = line.rstrip("\r\n")
    if col >= len(body) or not body[col:].strip():
        return (len(body), len(body), None) if body.rstrip().endswith(":") else None
    if body[col] in "|>":
        return None
    quote: str | None = None
    depth = 0
    comment = None
    for index in range(col, len(body)):
        char = body[index]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"" and (index == col or body[index - 1] in " [{,"):
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "#" and body[index - 1] in " \t":
            comment = index
            break
    if quote or depth:
        return None
    end = len(body[:comment].rstrip()) if comment is not None else len(body.rstrip())
    return col, end, comment


def _block_span(parent: Any, part: str | int, lines: list[str]) -> tuple[int, int] | None:
    """Lines ``[first, end)`` holding block key or item ``part`` of ``parent``, or None.

    They run from the key (or the item's dash) to its last line of content: comment and
    blank lines after that belong to what follows. None when the key shares its line with
    something before it (the first key of a list item, ``- id: ...``).
    """
    if isinstance(parent, CommentedSeq):
        line, col = parent.lc.item(part)
        first = line
        if not lines[first][:col].strip().startswith("-"):
            first -= 1
            while first >= 0 and not lines[first].strip():
                first -= 1
            if first < 0 or lines[first].strip() != "-":
                return None
        indent = len(lines[first]) - len(lines[first].lstrip())
        return _line_span((first, indent), lines)
    first, indent = parent.lc.key(part)
    if lines[first][:indent].strip():
        return None
    return _line_span((first, indent), lines)


def _line_span(position: tuple[int, int], lines: list[str]) -> tuple[int, int]:
    """Lines from the key at ``position`` (line, column) to its last line of content."""
    first, indent = position
    last = first
    for index in range(first + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(lines[index]) - len(lines[index].lstrip()) <= indent:
            break
        last = index
    return first, last + 1


class _Representer(RoundTripRepresenter):
    """ruamel's round-trip representer, writing None as ``null`` (not an empty value)."""

    def represent_none(self, data: None) -> Any:
        """``null``, as edge-os's README and examples write it."""
        return self.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _Representer.represent_none)


def _round_tripper(text: str) -> YAML:
    """A ruamel round-trip loader/dumper that writes with the file's own indentation."""
    rt = YAML(typ="rt")
    rt.Representer = _Representer
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap a user's long lines
    mapping, sequence, offset = 2, 2, 0
    if text.strip():
        with contextlib.suppress(Exception):  # a broken file is reported when it is loaded
            _, guessed, block_offset = load_yaml_guess_indent(text)
            sequence = guessed or 2
            offset = block_offset or 0
            mapping = _mapping_indent(text) or 2
    rt.indent(mapping=mapping, sequence=max(sequence, offset + 2), offset=offset)
    return rt


def _mapping_indent(text: str) -> int | None:
    """Indentation of the first nested mapping key (2 in most hand-written files)."""
    lines = [
        line
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "- ", "-\t"))
    ]
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        if indent:
            return indent
    return None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: temp file in the same folder, fsync, ``os.replace``.

    The file keeps its mode (and owner, when run as root); a new file gets 0666 less the
    umask, as any editor would make it. A symlink is followed: its target is replaced.
    """
    target = path.resolve() if path.is_symlink() else path
    try:
        before: os.stat_result | None = target.stat()
    except FileNotFoundError:
        before = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise _unwritable(target, err) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
            if before is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(before.st_mode))
                if os.geteuid() == 0:
                    os.fchown(handle.fileno(), before.st_uid, before.st_gid)
            else:
                os.fchmod(handle.fileno(), 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _unwritable(target, err) from None
    with contextlib.suppress(OSError):  # make the rename itself durable
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _unwritable(path: Path, err: OSError) -> UsageError:
    reason = err.strerror or str(err)
    return UsageError(
        ErrorCode.CONFIG_UNREADABLE,
        f"cannot write {path}: {reason} (is it yours? try sudo, or -c another file)",
    )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
