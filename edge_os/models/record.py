"""Build records: what a model folder built on this machine holds, with each file's sha256.

Every folder edge-os builds (the sentence encoder, the intent LLM, INT8 variants) carries one
``build.json`` in one format::

    {"name": ..., "source": {"package": "pkg==version", "files": {name: sha256}},
     "files": {name: sha256}, ...fields of that build}

written by :func:`write_record` and checked by :func:`check_folder` before a model is loaded.
Folders built before this format (a ``manifest.json`` from the LLM build or
``edge-os models quantize``) are still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_os.errors import ErrorCode, ModelError
from edge_os.models.checksum import sha256_of

RECORD_FILE = "build.json"
"""The record's file name in a built folder."""
LEGACY_RECORD_FILE = "manifest.json"
"""What the LLM build and ``models quantize`` wrote before :data:`RECORD_FILE`."""
_KEYS = ("name", "source", "files")


@dataclass(frozen=True)
class BuildRecord:
    """A parsed build record."""

    path: Path
    """The file it was read from."""
    name: str
    """The built model's name."""
    files: dict[str, str]
    """sha256 of every file the build wrote, by file name."""
    source_package: str = ""
    """``package==version`` the build read from."""
    source_files: dict[str, str] = field(default_factory=dict)
    """sha256 of the source files it read, by file name."""
    extra: dict[str, Any] = field(default_factory=dict)
    """The build's own fields (dimensions, quantization method, report...)."""


def write_record(
    folder: Path,
    name: str,
    *,
    source_package: str,
    source_files: Mapping[str, Path],
    files: Iterable[str],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Hash ``source_files`` and ``folder``'s ``files``, write ``build.json``, return its data.

    ``extra`` holds the build's own fields; it may not use the format's keys.
    """
    extra = dict(extra or {})
    if clash := sorted(set(extra) & set(_KEYS)):
        raise ValueError(f"extra fields may not be named {', '.join(clash)}")
    data: dict[str, Any] = {
        "name": name,
        "source": {
            "package": source_package,
            "files": {key: sha256_of(path) for key, path in sorted(source_files.items())},
        },
        "files": {file: sha256_of(folder / file) for file in sorted(files)},
        **extra,
    }
    (folder / RECORD_FILE).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    return data


def record_path(folder: Path) -> Path | None:
    """``folder``'s record file (``build.json``, else a legacy ``manifest.json``), if any."""
    for name in (RECORD_FILE, LEGACY_RECORD_FILE):
        if (folder / name).is_file():
            return folder / name
    return None


def read_record(folder: Path) -> BuildRecord | None:
    """``folder``'s build record, None without one; ModelError when it cannot be parsed."""
    path = record_path(folder)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _parse(path, data)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelError(ErrorCode.MODEL_CHECKSUM, f"{path}: unreadable: {err}") from err


def _parse(path: Path, data: dict[str, Any]) -> BuildRecord:
    files, source = data["files"], data.get("source", {})
    if isinstance(files, list):  # legacy quantize manifest: [{path, size_bytes, sha256}]
        files = {entry["path"]: entry["sha256"] for entry in files}
    if "files" in source:
        source_files = dict(source["files"])
    elif "sha256" in source:  # legacy: one source file, named by "file" or "path"
        source_files = {Path(source.get("file") or source["path"]).name: source["sha256"]}
    else:
        source_files = {}
    return BuildRecord(
        path=path,
        name=str(data["name"]),
        files={str(key): str(value) for key, value in files.items()},
        source_package=str(source.get("package", "")),
        source_files=source_files,
        extra={key: value for key, value in data.items() if key not in _KEYS},
    )


def check_folder(
    folder: Path, needed: Iterable[str], *, verify: bool, what: str, hint: str
) -> BuildRecord:
    """The record of a built ``folder`` holding ``needed`` files, checked before loading.

    ModelError ``model-missing`` names the missing files (``what`` says which model, ``hint``
    how to build it); with ``verify``, ``model-checksum`` names a file whose sha256 differs.
    """
    needed = tuple(needed)
    record = read_record(folder)
    missing = [RECORD_FILE] if record is None else []
    missing += [name for name in needed if not (folder / name).is_file()]
    if missing or record is None:
        raise ModelError(
            ErrorCode.MODEL_MISSING,
            f"{what} not found: {folder} lacks {', '.join(missing)}; {hint}",
        )
    if verify:
        for name in needed:
            if record.files.get(name) != sha256_of(folder / name):
                raise ModelError(
                    ErrorCode.MODEL_CHECKSUM,
                    f"{folder / name} does not match its sha256 in {record.path}; {hint}",
                )
    return record
