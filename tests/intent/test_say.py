"""``edge-os say``: intent and planned actions, dry run, execution not wired yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_os.cli.main import main
from tests.conftest import EXAMPLE_HOME


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home.yaml"
    path.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8") + f"\nstate_dir: {tmp_path}\n", encoding="utf-8"
    )
    return path


def test_dry_run_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-c", str(home), "say", "set the kitchen light to fifty percent", "--dry-run",
                 "--json"])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] == "HassLightSet"
    assert out["actions"] == [
        {"entity_id": "light.kitchen_ceiling", "action": "set_brightness",
         "params": {"brightness": 50}}
    ]  # fmt: skip
    assert out["executed"] is False


def test_dry_run_plans_every_command_of_a_sentence(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dry run reads a sentence as the service does: two commands, two actions."""
    text = "turn off the kitchen light and turn on the floor lamp"
    assert main(["-c", str(home), "say", text, "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(a["entity_id"], a["action"]) for a in out["actions"]] == [
        ("light.kitchen_ceiling", "turn_off"),
        ("light.living_room_lamp", "turn_on"),
    ]


def test_question_is_answered(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(home), "say", "what time is it", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"].startswith("It is ")


def test_not_understood_text(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(home), "say", "order a pizza", "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("not understood")


def test_executes_over_gpio(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the desk light is a PWMLED on gpiozero's MockFactory off a Pi
    assert main(["-c", str(home), "say", "turn on the lights", "--area", "office"]) == 0
    assert "light.desk_led turn_on: done" in capsys.readouterr().out


def test_executes_over_mqtt(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # mqtt.host is null: an embedded mosquitto on loopback takes the publish, but no device
    # is subscribed there, and MQTT 5 says so (PUBACK 0x10): not done, and `say` gives up
    code = main(["-c", str(home), "say", "set the kitchen light to 30 percent", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["executed"] is True
    [outcome] = out["outcomes"]
    assert (outcome["entity_id"], outcome["action"], outcome["status"]) == (
        "light.kitchen_ceiling", "set_brightness", "failed"
    )  # fmt: skip
    assert outcome["reason"].startswith(
        "no device is listening on zigbee2mqtt/kitchen_ceiling/set yet"
    )


def test_sensitive_needs_yes(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(home), "say", "unlock the front door", "--json"]) == 0
    held = json.loads(capsys.readouterr().out)["outcomes"][0]
    assert held["status"] == "needs-confirmation"
    # confirmed, it is sent; no device is subscribed on the embedded broker to take it
    assert main(["-c", str(home), "say", "unlock the front door", "--json", "--yes"]) == 1
    sent = json.loads(capsys.readouterr().out)["outcomes"][0]
    assert sent["status"] == "failed" and sent["reason"].startswith("no device is listening")


def test_unknown_area(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(home), "say", "turn on the lights", "--area", "attic"]) == 2
    assert "unknown area 'attic'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "intent", "actions"),
    [
        ("Schalte das Licht in der Küche an", "HassTurnOn", [("light.kueche_decke", "turn_on")]),
        ("Mach das Licht im Obergeschoss aus", "HassTurnOff",
         [("light.nachttischlampe", "turn_off")]),
        ("Schließe die Haustür ab", "HassTurnOn", [("lock.haustuer", "lock")]),
        ("Stelle einen Timer für zehn Minuten", "HassStartTimer", []),
    ],
)  # fmt: skip
def test_german_home(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    intent: str,
    actions: list[tuple[str, str]],
) -> None:
    german = tmp_path / "zuhause.yaml"
    source = EXAMPLE_HOME.with_name("example-home-de.yaml").read_text(encoding="utf-8")
    german.write_text(source + f"\nstate_dir: {tmp_path}\n", encoding="utf-8")
    assert main(["-c", str(german), "say", text, "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"] == intent
    assert [(a["entity_id"], a["action"]) for a in out["actions"]] == actions


def test_a_language_without_templates_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "xx.yaml"
    config.write_text(f"site: {{language: xx}}\nstate_dir: {tmp_path}\n", encoding="utf-8")
    assert main(["-c", str(config), "say", "turn on the light", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "site.language: 'xx' has no sentence templates (expected one of: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("text", ["", "x" * 10_000, "ñ∂ƒ©˙∆ 🙂 ???"])
def test_bad_text_is_not_understood(
    home: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    assert main(["-c", str(home), "say", text, "--dry-run"]) == 0
    assert capsys.readouterr().out.startswith("not understood")
