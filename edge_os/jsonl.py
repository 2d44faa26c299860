"""Reading the JSONL files of ``edge-os eval``: one object a line, errors with file:line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edge_os.errors import ErrorCode, UsageError


def read_objects(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, object)`` for each non-blank line; ``where`` is ``path:line``.

    An unreadable file, a line that is not JSON or not an object, and a file with no
    objects at all raise :class:`UsageError` (exit code 2) naming the file and line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise UsageError(ErrorCode.CONFIG_NOT_FOUND, f"{path}: cannot read: {reason}") from None
    found = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            raise UsageError(ErrorCode.CONFIG_SYNTAX, f"{where}: not JSON: {err.msg}") from None
        if not isinstance(entry, dict):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: expected a JSON object")
        found += 1
        yield where, entry
    if not found:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"{path}: no samples")


def clip_path(manifest: Path, value: str) -> Path:
    """A clip named in ``manifest``: relative paths are taken from the manifest's folder."""
    file = Path(value).expanduser()
    return file if file.is_absolute() else manifest.parent / file
