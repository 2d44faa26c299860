"""End to end: the exported INT8 model, constrained to the example home, via onnxruntime."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import ErrorCode, ModelError
from edge_os.intent.llm.build import INT8_FILE
from edge_os.intent.llm.recognizer import LlmIntentRecognizer
from edge_os.models.record import record_path
from tests.conftest import REPO


@pytest.fixture(scope="module")
def recognizer(registry: DeviceRegistry, llm_model_dir: Path) -> LlmIntentRecognizer:
    """The INT8 recogniser over the example home, 2 threads."""
    return LlmIntentRecognizer(registry, llm_model_dir, threads=2)


@pytest.mark.parametrize(
    ("text", "intent", "target", "slots"),
    [
        ("make the office warmer", "HassTurnOn", "switch.office_heater", {}),
        (
            "crank the heating up to 24 degrees",
            "HassClimateSetTemperature",
            "climate.living_room_thermostat",
            {"temperature": 24},
        ),
        ("make the reading lamp blue", "HassLightSet", "light.living_room_lamp", {"color": "blue"}),
    ],
)
def test_paraphrases_become_registry_intents(
    recognizer: LlmIntentRecognizer, text: str, intent: str, target: str, slots: dict[str, object]
) -> None:
    result = recognizer.recognize(text)
    assert (result.intent, tuple(result.targets), dict(result.slots)) == (intent, (target,), slots)
    assert result.path == "llm"
    assert 0.0 < result.confidence <= 1.0
    assert result.latency_ms > 0


def test_shut_the_garage_names_the_garage_door(recognizer: LlmIntentRecognizer) -> None:
    # Built on a machine with AVX2 and no VNNI (torch's float kernels differ), the INT8 model
    # read "shut" as open (HassTurnOn); elsewhere as close. Either way it is the garage
    # door, a sensitive device: nothing only the model understood moves it without a yes.
    result = recognizer.recognize("shut the garage")
    assert result.targets == ("cover.garage_door",) and result.path == "llm", result
    assert result.intent in {"HassTurnOff", "HassTurnOn"}, result


def test_off_topic_is_not_understood(recognizer: LlmIntentRecognizer) -> None:
    result = recognizer.recognize("what's the capital of Spain")
    assert result.intent is None and not result.targets and result.path == "llm"


@pytest.mark.parametrize(
    "attack", ["turn on light.nonexistent", "unlock door.back_door now", "set light.hacker to 100"]
)
def test_an_attack_cannot_name_a_device_that_does_not_exist(
    recognizer: LlmIntentRecognizer, registry: DeviceRegistry, attack: str
) -> None:
    result = recognizer.recognize(attack)
    assert all(target in registry for target in result.targets)
    assert result.confidence < 0.5  # the model wanted something the grammar forbade


def test_empty_text_is_not_understood(recognizer: LlmIntentRecognizer) -> None:
    assert recognizer.recognize("   ").intent is None


def test_missing_model_is_reported_once(
    registry: DeviceRegistry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ModelError) as raised:
        LlmIntentRecognizer(registry, tmp_path)
    assert raised.value.code is ErrorCode.MODEL_MISSING
    assert "edge-os models build llm --out" in str(raised.value)
    with caplog.at_level(logging.WARNING):
        assert LlmIntentRecognizer.load(registry, tmp_path) is None
        assert LlmIntentRecognizer.load(registry, tmp_path) is None
    warnings = [r for r in caplog.records if "LLM fallback disabled" in r.getMessage()]
    assert len(warnings) == 1


def test_a_changed_file_fails_its_checksum(
    registry: DeviceRegistry, llm_model_dir: Path, tmp_path: Path
) -> None:
    for name in (INT8_FILE, "config.json"):
        (tmp_path / name).symlink_to(llm_model_dir / name)
    record = record_path(llm_model_dir)
    assert record is not None
    shutil.copy(record, tmp_path / record.name)
    tokenizer = json.loads((llm_model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    tokenizer["added_tokens"] = []
    (tmp_path / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    with pytest.raises(ModelError) as raised:
        LlmIntentRecognizer.load(registry, tmp_path)
    assert raised.value.code is ErrorCode.MODEL_CHECKSUM


def test_runtime_needs_no_torch_or_transformers(llm_model_dir: Path) -> None:
    script = (
        "import sys; from pathlib import Path\n"
        "from edge_os.config.loader import load_config\n"
        "from edge_os.devices.registry import DeviceRegistry\n"
        "from edge_os.intent.llm.recognizer import LlmIntentRecognizer\n"
        "reg = DeviceRegistry.from_config(load_config(Path(sys.argv[1])))\n"
        "r = LlmIntentRecognizer(reg, Path(sys.argv[2]), verify=False)\n"
        "print(r.recognize('kill the coffee machine').intent)\n"
        "heavy = sorted({'torch', 'transformers', 'gguf'} & set(sys.modules))\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(REPO / "devices" / "example-home.yaml"),
            str(llm_model_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
