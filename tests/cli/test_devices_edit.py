"""`edge-os devices add|remove|rename|alias` and the empty `devices list` hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.config.loader import load_config
from tests.conftest import EXAMPLE_HOME


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A copy of the example home to edit."""
    path = tmp_path / "home.yaml"
    path.write_bytes(EXAMPLE_HOME.read_bytes())
    return path


def devices(home: Path, *args: str) -> int:
    return main(["-c", str(home), "devices", *args])


def test_add_rename_alias_remove_round_trip(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = home.read_bytes()
    assert (
        devices(
            home,
            "add",
            "light.desk",
            "--name",
            "Desk lamp",
            "--area",
            "office",
            "--gpio-pin",
            "22",
            "--gpio-kind",
            "PWMLED",
        )
        == 0
    )
    assert (
        devices(
            home,
            "add",
            "switch.kettle",
            "--name",
            "Kettle",
            "--area",
            "kitchen",
            "--mqtt-command-topic",
            "cmnd/kettle/POWER",
            "--mqtt-state-topic",
            "stat/kettle/POWER",
        )
        == 0
    )
    assert devices(home, "rename", "light.desk", "Desk light") == 0
    assert devices(home, "alias", "light.desk", "reading light") == 0
    assert devices(home, "alias", "light.kitchen_ceiling", "big light") == 0
    out = capsys.readouterr().out
    assert f"{home}: added light.desk ('Desk lamp')" in out
    assert "light.desk: name 'Desk lamp' -> 'Desk light'" in out
    config = load_config(home)
    desk = next(e for e in config.entities if e.id == "light.desk")
    assert (desk.name, desk.aliases, desk.area) == ("Desk light", ["reading light"], "office")
    assert desk.gpio is not None and (desk.gpio.pin, desk.gpio.kind) == (22, "PWMLED")
    kettle = next(e for e in config.entities if e.id == "switch.kettle")
    assert kettle.mqtt is not None and kettle.mqtt.state_topic == "stat/kettle/POWER"
    text = home.read_text(encoding="utf-8")
    assert "    aliases: [kitchen ceiling light, ceiling light, big light]\n" in text
    assert "\n\n  - id: light.desk\n    name: Desk light\n" in text  # blank line like the rest
    assert devices(home, "alias", "light.kitchen_ceiling", "big light", "--remove") == 0
    assert devices(home, "remove", "light.desk") == 0
    assert devices(home, "remove", "switch.kettle") == 0
    assert home.read_bytes() == original
    assert devices(home, "remove", "light.kitchen_counter") == 0
    text = home.read_text(encoding="utf-8")
    assert "kitchen_counter" not in text
    assert "  # --- living room ---" in text  # the section comment after it stays
    assert len(load_config(home).entities) == 16


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--gpio-pin", "18"],
            "entities[17].gpio.pin: pin 18 is already used by light.desk_led (entity light.new)",
        ),
        (
            ["--gpio-pin", "5"],
            "entities[17].gpio.pin: pin 5 is already used by gpio.push_to_talk_pin",
        ),
        (
            ["--gpio-pin", "41"],
            "entities[17].gpio.pin: 41 is not a GPIO pin (0-27) (entity light.new)",
        ),
        (["--mqtt-command-topic", "a/#"], "entities[17].mqtt.command_topic: 'a/#' is not a topic"),
        (["--gpio-pin", "22", "--area", "attic"], "entities[17].area: unknown area 'attic'"),
    ],
)
def test_add_is_validated_before_writing(
    home: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    original = home.read_bytes()
    assert devices(home, "add", "light.new", "--name", "New light", *args) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.startswith(f"edge-os: error: {home}:")
    assert home.read_bytes() == original


def test_edit_errors_name_the_entity(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = home.read_bytes()
    assert devices(home, "add", "light.kitchen_ceiling", "--name", "X", "--gpio-pin", "22") == 2
    assert "light.kitchen_ceiling: already in" in capsys.readouterr().err
    assert devices(home, "remove", "light.kitchen_ceilin") == 2
    assert "did you mean light.kitchen_ceiling" in capsys.readouterr().err
    assert devices(home, "rename", "light.kitchen_ceiling", "") == 2
    assert "entities[0].name: must not be empty (entity light.kitchen_ceiling)" in (
        capsys.readouterr().err
    )
    assert devices(home, "alias", "light.kitchen_ceiling", "nope", "--remove") == 2
    assert home.read_bytes() == original


def test_empty_list_hints_where_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EDGE_OS_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["devices", "list", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert "edge-os devices add" in lines[0]
    assert "mqtt.discovery.import_entities" in lines[0]
    # the first `devices add` creates the user's config file
    assert (
        main(["devices", "add", "switch.fan", "--name", "Fan", "--mqtt-command-topic", "f/set"])
        == 0
    )
    assert load_config(tmp_path / "xdg" / "edge-os" / "config.yaml").entities[0].id == "switch.fan"
