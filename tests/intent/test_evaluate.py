"""``edge-os eval intents``: the output keys and how gold slots are compared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.config.settings import Config
from edge_os.errors import UsageError
from edge_os.intent.evaluate import evaluate
from tests.conftest import EXAMPLE_HOME

LINES = [
    {"text": "turn on the kitchen light", "intent": "HassTurnOn",
     "slots": {"name": "Kitchen light"}},
    {"text": "turn off the lights in the lounge", "intent": "HassTurnOff",
     "slots": {"area": "Living room", "domain": "light"}},
    {"text": "set a timer for ninety seconds", "intent": "HassStartTimer",
     "slots": {"minutes": 1, "seconds": 30}},
    {"text": "set the floor lamp to 40 percent", "intent": "HassLightSet",
     "slots": {"name": "floor lamp", "brightness": 60}},
    {"text": "order a pizza", "intent": None, "slots": {}},
    {"text": "turn on the toaster", "intent": "HassTurnOn", "slots": {"name": "toaster"}},
]  # fmt: skip
KEYS = {"n", "intent_accuracy", "slot_accuracy", "exact_match", "not_understood",
        "wrong_action", "p50_ms", "p95_ms", "by_path"}  # fmt: skip


def _write(tmp_path: Path, lines: list[object]) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_metrics(tmp_path: Path, home: Config) -> None:
    config = home.model_copy(update={"state_dir": tmp_path})  # no LLM built there
    result = evaluate(_write(tmp_path, LINES), config)
    assert set(result) >= KEYS
    assert result["n"] == 6
    assert result["intent_accuracy"] == pytest.approx(5 / 6, abs=1e-3)
    assert result["not_understood"] == 1
    assert result["wrong_action"] == 1  # 40 percent where the gold says 60
    assert result["exact_match"] == pytest.approx(4 / 6, abs=1e-3)
    assert result["slot_accuracy"] == pytest.approx(6 / 8, abs=1e-3)
    assert result["by_path"] == {
        "grammar": {"n": 6, "intent_accuracy": pytest.approx(5 / 6, abs=1e-3)}
    }


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home.yaml"
    home.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8") + f"\nstate_dir: {tmp_path}\n"
        "intent: {llm_fallback: false}\n",
        encoding="utf-8",
    )
    path = _write(tmp_path, LINES[:2])
    assert main(["eval", "intents", str(path), "--devices", str(home), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= KEYS
    assert out["exact_match"] == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json\n", "not JSON"), ('{"intent": "HassTurnOn"}\n', "expected an object with text"),
     ("", "no samples")],
)  # fmt: skip
def test_bad_files_name_the_line(tmp_path: Path, home: Config, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        evaluate(path, home)
