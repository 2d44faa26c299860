"""Wake settings: custom .onnx paths are taken from the config file's folder and must exist."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edge_os.config.loader import load_config
from edge_os.errors import ConfigError
from edge_os.wake.models import models_dir


def test_custom_model_is_resolved_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "words").mkdir()
    shutil.copy(models_dir() / "hey_jarvis_v0.1.onnx", tmp_path / "words" / "computer.onnx")
    config_file = tmp_path / "edge-os.yaml"
    config_file.write_text("wake:\n  models: [hey_jarvis, words/computer.onnx]\n")
    config = load_config(config_file)
    assert config.wake.models == ["hey_jarvis", str(tmp_path / "words" / "computer.onnx")]


def test_missing_custom_model_is_a_located_config_error(tmp_path: Path) -> None:
    config_file = tmp_path / "edge-os.yaml"
    config_file.write_text("site:\n  id: home\nwake:\n  models:\n    - missing.onnx\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config_file)
    (issue,) = caught.value.issues
    assert issue.line == 4
    assert issue.key_path == "wake.models"
    assert issue.message == f"file {tmp_path / 'missing.onnx'} does not exist"


def test_unknown_bundled_name(tmp_path: Path) -> None:
    config_file = tmp_path / "edge-os.yaml"
    config_file.write_text("wake:\n  models: [hey_siri]\n")
    with pytest.raises(ConfigError, match="unknown wake word 'hey_siri'"):
        load_config(config_file)
