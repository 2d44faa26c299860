"""The model manifest: every model edge-os uses, its files, sizes, sha256 and source packages.

The manifest is a TOML file (``models/manifest.toml``). A model's files live either inside
an installed PyPI package (used in place) or, for models marked ``fetch = true``, in the
models cache folder, where ``edge-os models fetch`` joins them from package parts.
Locating a package never imports it (``importlib.util.find_spec`` on the top-level name).
"""

from __future__ import annotations

import importlib.util
import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from edge_os.errors import ErrorCode, ModelError

MANIFEST_ENV = "EDGE_OS_MODEL_MANIFEST"
"""Environment variable naming another manifest file (tests, custom builds)."""
MODELS_DIR_ENV = "EDGE_OS_MODELS_DIR"
"""Environment variable overriding the models cache folder."""

_PACKAGE_COPY = Path(__file__).resolve().parent / "manifest.toml"
_REPO_COPY = Path(__file__).resolve().parents[2] / "models" / "manifest.toml"
_PART = re.compile(r"^(?P<package>[A-Za-z0-9._-]+)==(?P<version>[^:]+):(?P<path>[^:]+)$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Part:
    """One piece of a file inside an installed package."""

    package: str
    """PyPI distribution name (what to ``pip install``)."""
    version: str
    """Version the hashes were taken from."""
    path: str
    """Path starting with the import name, e.g. ``faster_whisper/assets/silero_vad_v6.onnx``."""

    @property
    def module(self) -> str:
        """Top-level import name that holds the file."""
        return self.path.split("/", 1)[0]

    def locate(self) -> Path | None:
        """The file in the installed package, or None when the package or file is missing."""
        try:
            spec = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        for root in spec.submodule_search_locations:
            candidate = Path(root) / self.path.split("/", 1)[1]
            if candidate.is_file():
                return candidate
        return None

    def __str__(self) -> str:
        return f"{self.package}=={self.version}:{self.path}"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model with its expected size and checksum."""

    path: str
    """File name inside the model folder."""
    size_bytes: int
    """Exact size."""
    sha256: str
    """Lower-case hex SHA-256 of the whole (joined) file."""
    sources: tuple[tuple[Part, ...], ...]
    """Alternatives, first installed wins; each is a list of parts joined in order."""

    def installed_source(self) -> list[Path] | None:
        """Paths of the parts of the first alternative whose parts are all installed."""
        for alternative in self.sources:
            paths = [part.locate() for part in alternative]
            if all(path is not None for path in paths):
                return [path for path in paths if path is not None]
        return None


@dataclass(frozen=True)
class ModelSpec:
    """A model: its stage, licence, files and how they get onto the machine."""

    name: str
    """Manifest name (``stt-tiny.en``)."""
    stage: str
    """Pipeline stage that uses it (wake, vad, stt, intent, tts)."""
    format: str
    """File format / runtime (onnx, ctranslate2, gguf)."""
    licence: str
    """Licence of the weights."""
    description: str
    """One line on what it is."""
    files: tuple[ModelFile, ...]
    """Its files."""
    fetch: bool = False
    """True when ``edge-os models fetch`` must assemble it in the cache; else used in place."""

    @property
    def size_bytes(self) -> int:
        """Total size of its files."""
        return sum(file.size_bytes for file in self.files)

    @property
    def packages(self) -> list[str]:
        """``package==version`` of every part it can come from, in manifest order."""
        seen: dict[str, None] = {}
        for file in self.files:
            for alternative in file.sources:
                for part in alternative:
                    seen[f"{part.package}=={part.version}"] = None
        return list(seen)

    def file_path(self, file: ModelFile, models_dir: Path) -> Path | None:
        """Where ``file`` is on this machine (cache for fetched models), or None if absent."""
        if self.fetch:
            path = models_dir / self.name / file.path
            return path if path.is_file() else None
        parts = file.installed_source()
        if parts is None or len(parts) != 1:
            return None
        return parts[0]

    def folder(self, models_dir: Path) -> Path | None:
        """The folder holding all its files (a CTranslate2 model loads from a folder)."""
        paths = [self.file_path(file, models_dir) for file in self.files]
        if any(path is None for path in paths):
            return None
        parents = {path.parent for path in paths if path is not None}
        return parents.pop() if len(parents) == 1 else None


@dataclass(frozen=True)
class Manifest:
    """All models, by name, in manifest order."""

    models: tuple[ModelSpec, ...]
    """Models in file order."""
    source: Path
    """The TOML file read."""

    def get(self, name: str) -> ModelSpec:
        """The model called ``name``; ModelError naming the known ones otherwise."""
        for model in self.models:
            if model.name == name:
                return model
        known = ", ".join(model.name for model in self.models)
        raise ModelError(ErrorCode.MODEL_MISSING, f"no model {name!r} in the manifest ({known})")


def manifest_path() -> Path:
    """The manifest file: $EDGE_OS_MODEL_MANIFEST, a copy in the package, else the repo's."""
    if override := os.environ.get(MANIFEST_ENV):
        return Path(override)
    return _PACKAGE_COPY if _PACKAGE_COPY.is_file() else _REPO_COPY


def models_dir(state_dir: Path) -> Path:
    """Cache folder of fetched models: $EDGE_OS_MODELS_DIR, else ``<state_dir>/models``."""
    if override := os.environ.get(MODELS_DIR_ENV):
        return Path(override).expanduser().resolve()
    return state_dir / "models"


def load_manifest(path: Path | None = None) -> Manifest:
    """Read and check a manifest; ModelError with the file and model name on any problem."""
    return _load(path or manifest_path())


@cache
def _load(path: Path) -> Manifest:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"{path}: cannot read the manifest: {err}"
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ModelError(ErrorCode.MODEL_MISSING, f"{path}: not valid TOML: {err}") from err
    if data.get("schema") != 1:
        raise ModelError(ErrorCode.MODEL_MISSING, f"{path}: expected schema = 1")
    models: list[ModelSpec] = []
    names: set[str] = set()
    for index, entry in enumerate(data.get("models", [])):
        where = f"{path}: models[{index}]"
        try:
            model = _model(entry)
        except (KeyError, TypeError, ValueError) as err:
            raise ModelError(ErrorCode.MODEL_MISSING, f"{where}: {err}") from err
        if model.name in names:
            raise ModelError(ErrorCode.MODEL_MISSING, f"{where}: duplicate name {model.name!r}")
        names.add(model.name)
        models.append(model)
    return Manifest(models=tuple(models), source=path)


def _model(entry: dict[str, object]) -> ModelSpec:
    for key in ("name", "stage", "format", "licence", "files"):
        if key not in entry:
            raise ValueError(f"missing key {key!r}")
    raw_files = entry["files"]
    if not isinstance(raw_files, list) or not raw_files:
        raise ValueError("files must be a non-empty list")
    fetch = bool(entry.get("fetch", False))
    files = tuple(_file(raw) for raw in raw_files)
    if not fetch and any(len(alt) != 1 for file in files for alt in file.sources):
        raise ValueError("a file joined from parts needs fetch = true")
    return ModelSpec(
        name=str(entry["name"]),
        stage=str(entry["stage"]),
        format=str(entry["format"]),
        licence=str(entry["licence"]),
        description=str(entry.get("description", "")),
        files=files,
        fetch=fetch,
    )


def _file(raw: object) -> ModelFile:
    if not isinstance(raw, dict):
        raise TypeError("each file must be a table")
    sha256 = str(raw["sha256"])
    if not _SHA256.match(sha256):
        raise ValueError(f"{raw['path']}: sha256 must be 64 lower-case hex digits")
    sources: list[tuple[Part, ...]] = []
    for alternative in raw["sources"]:
        parts: list[Part] = []
        for text in alternative:
            match = _PART.match(str(text))
            if match is None:
                raise ValueError(f"{text!r} is not 'package==version:module/path'")
            parts.append(Part(**match.groupdict()))
        sources.append(tuple(parts))
    if not sources:
        raise ValueError(f"{raw['path']}: no sources")
    return ModelFile(
        path=str(raw["path"]),
        size_bytes=int(raw["size"]),
        sha256=sha256,
        sources=tuple(sources),
    )
