"""Where an INT8 variant of a model lives, and whether the one built here is intact.

``edge-os models quantize`` (:mod:`edge_os.quantize.int8`) writes the variants; the engines
that can load one (the wake word) look them up here.
"""

from __future__ import annotations

from pathlib import Path

from edge_os.errors import ErrorCode, ModelError
from edge_os.models.checksum import sha256_of
from edge_os.models.manifest import ModelSpec
from edge_os.models.record import read_record


def variant_dir(models_folder: Path, name: str) -> Path:
    """Folder of the INT8 variant of ``name``: ``<models_dir>/<name>-int8``."""
    return models_folder / f"{name}-int8"


def variant_path(models_folder: Path, spec: ModelSpec) -> Path:
    """The quantized ONNX file of ``spec`` (may not exist yet)."""
    return variant_dir(models_folder, spec.name) / f"{Path(spec.files[0].path).stem}.int8.onnx"


def installed_variant(models_folder: Path, spec: ModelSpec) -> Path | None:
    """The quantized file of ``spec`` if it was built here; ModelError if it is damaged.

    The file must match the sha256 its build record holds (what a runtime option choosing
    the INT8 variant should call before loading it).
    """
    path = variant_path(models_folder, spec)
    if not path.is_file():
        return None
    record = read_record(path.parent)
    if record is None:
        return None
    if record.files.get(path.name) != sha256_of(path):
        raise ModelError(
            ErrorCode.MODEL_CHECKSUM,
            f"{path} does not match {record.path}: run 'edge-os models quantize {spec.name}' again",
        )
    return path
