"""Reading Home Assistant's intent tests, old and new format, into gold sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_os.errors import UsageError
from edge_os.intent.ha_tests import load_ha_tests

SHARED_HOME = """
language: "en"
areas:
  - {name: "Living Room", id: "living_room_id"}
entities:
  - {name: "TV", id: "media_player.tv", area: "living_room_id", state: "idle"}
"""

OLD_FORMAT = """
language: en
tests:
  - sentences:
      - "TV volume up"
      - "increase TV volume"
    intent:
      name: HassVolumeUp
      slots: {name: "TV"}
  - sentences:
      - "mute"
    intent:
      name: HassMediaPlayerMute
      context: {area: "Living Room"}
      slots: {area: "Living Room"}
    response: "Muted"
"""

NEW_FORMAT = """
language: "en"
areas:
  - name: "Kitchen"
entities:
  - {name: "Overhead Light", domain: "light", area: "Kitchen"}
tests:
  - sentences:
      - "turn on the kitchen overhead light"
    slots:
      name: "Overhead Light"
      area: "Kitchen"
    response: "Turned on the light"
  - sentences: ["1 minute timer for pizza"]
    intent: HassStartTimer
    slots: {minutes: 1, name: ["pizza ", "pizza"]}
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_old_format_uses_the_shared_home(tmp_path: Path) -> None:
    home = _write(tmp_path / "en" / "_fixtures.yaml", SHARED_HOME)
    file = _write(tmp_path / "en" / "media_player_HassMediaPlayerMute.yaml", OLD_FORMAT)
    found = load_ha_tests([file])
    assert [(t.text, t.intent, dict(t.slots), t.area) for t in found.tests] == [
        ("mute", "HassMediaPlayerMute", {"area": "Living Room"}, "Living Room")
    ]
    (test,) = found.tests
    assert test.home == home
    assert test.source == f"{file}:tests[1]"
    assert test.response == "Muted"
    assert list(found.homes) == [home]
    assert found.skipped_intents == {"HassVolumeUp": 2}  # not served: counted, not scored


def test_new_format_brings_its_own_home(tmp_path: Path) -> None:
    file = _write(tmp_path / "en" / "HassTurnOn" / "name_area.yaml", NEW_FORMAT)
    _write(tmp_path / "en" / "_fixtures.yaml", SHARED_HOME)  # not a test file
    found = load_ha_tests([tmp_path / "en"])
    assert [(t.text, t.intent, dict(t.slots), t.home) for t in found.tests] == [
        ("turn on the kitchen overhead light", "HassTurnOn",
         {"name": "Overhead Light", "area": "Kitchen"}, file),
        ("1 minute timer for pizza", "HassStartTimer",
         {"minutes": 1, "name": ("pizza ", "pizza")}, file),
    ]  # fmt: skip
    assert found.tests[0].area is None
    assert found.homes[file]["areas"] == [{"name": "Kitchen"}]


def test_served_intents_can_be_chosen(tmp_path: Path) -> None:
    file = _write(tmp_path / "HassTurnOn" / "name_area.yaml", NEW_FORMAT)
    found = load_ha_tests([file], served={"HassStartTimer"})
    assert [t.intent for t in found.tests] == ["HassStartTimer"]
    assert found.skipped_intents == {"HassTurnOn": 1}


def test_old_format_without_its_home_is_an_error(tmp_path: Path) -> None:
    file = _write(tmp_path / "media_player_HassMediaPlayerMute.yaml", OLD_FORMAT)
    with pytest.raises(UsageError, match=r"need the _fixtures\.yaml"):
        load_ha_tests([file])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tests: {}", "expected a 'tests' list"),
        ("tests: [{sentences: [hi], slots: [1]}]", r"tests\[0\].slots: expected a mapping"),
        ("tests: [{sentences: hi}]", r"tests\[0\].sentences: expected strings"),
        ("tests: [{sentences: [hi], slots: {a: {b: 1}}}]", r"slots.a: .* is not a text"),
        ("tests: [\n  - sentences: [hi\n", r"combo.yaml:\d+: invalid YAML"),
    ],
)
def test_malformed_files_name_the_test(tmp_path: Path, text: str, message: str) -> None:
    file = _write(tmp_path / "HassTurnOn" / "combo.yaml", text)
    with pytest.raises(UsageError, match=message):
        load_ha_tests([file])


def test_folder_without_tests_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "_fixtures.yaml", SHARED_HOME)
    with pytest.raises(UsageError, match="no HA test files"):
        load_ha_tests([tmp_path])


def test_intent_must_be_known(tmp_path: Path) -> None:
    file = _write(tmp_path / "misc" / "combo.yaml", "tests: [{sentences: [hi]}]")
    with pytest.raises(UsageError, match="no intent"):
        load_ha_tests([file])
