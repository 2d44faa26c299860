"""Home Assistant's intent test homes (both formats) expressed as an edge-os registry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from edge_os.config.loader import parse_config
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import UsageError
from edge_os.intent.fixtures import (
    convert_ha_fixture,
    convert_ha_home,
    home_registry,
    looks_like_ha_home,
    read_ha_home,
)
from edge_os.intent.grammar import GrammarRecognizer
from tests.conftest import EXAMPLE_HOME

FIXTURE = Path(__file__).parent / "data" / "ha_fixtures_en.yaml"

NEW_FORMAT_HOME = """
language: "en"
floors:
  - name: "First Floor"
  - name: "Second Floor"
areas:
  - name: "Kitchen"
    floor: "First Floor"
  - name: "Living Room"
    floor: "First Floor"
  - name: "Bedroom"
    floor: "Second Floor"
entities:
  - {name: "Kitchen Light", domain: "light", state: "on", area: "Kitchen"}
  - {name: "Kitchen Light", domain: "light", state: "off", area: "Living Room"}
  - {name: "Skylight", domain: "binary_sensor", area: "Bedroom",
     state: {in: "open", out: "on"}, attributes: {device_class: window}}
  - {name: "Furnace", domain: "sensor", state: "380", attributes: {unit_of_measurement: "°C"}}
  - {name: "Jane", domain: "person", state: "home"}
  - {name: "Hidden Fan", domain: "fan", state: "off", is_exposed: false}
  - {name: "Attic Lamp", domain: "light", state: "off", area: "Attic"}
"""


def _registry(data: dict[str, object], tmp_path: Path) -> DeviceRegistry:
    text = yaml.safe_dump(convert_ha_fixture(data), sort_keys=False, allow_unicode=True)
    return DeviceRegistry.from_config(parse_config(text, "converted.yaml", base_dir=tmp_path))


def test_ha_fixture_becomes_a_valid_registry(tmp_path: Path) -> None:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    registry = _registry(data, tmp_path)  # parse_config validates everything
    assert "person.jospeh" not in registry  # a domain edge-os does not know
    assert "sensor.price_per_kw" in registry
    assert registry.get("sensor.outside_temperature").device_class == "temperature"  # type: ignore[union-attr]
    assert registry.area("living_room_id") is not None
    assert [(f.id, f.name) for f in registry.floors] == [
        ("first_floor_id", "First Floor"),
        ("second_floor_id", "Second Floor"),
    ]
    assert registry.floor_of("kitchen_id") == "first_floor_id"
    assert registry.floor_of("bedroom_id") == "second_floor_id"

    grammar = GrammarRecognizer(registry, default_area="living_room_id")
    checks = {
        "turn on the kitchen ceiling": ["light.kitchen_ceiling"],
        "turn off the lights in the kitchen": ["light.kitchen_ceiling", "light.kitchen_countertop"],
        "lock the back door": ["lock.back_door"],
        "close the curtain left": ["cover.curtain_left"],
        "set the ceiling fan to 30 percent": ["fan.ceiling"],
        "what is the temperature in the garage": ["sensor.outside_temperature"],
        "turn on the lights on the first floor": [
            "light.kitchen_ceiling",
            "light.kitchen_countertop",
            "light.living_room_lamp",
        ],
        "activate party mode": ["scene.party_mode"],
    }
    for sentence, targets in checks.items():
        assert sorted(grammar.recognize(sentence).targets) == targets, sentence


def test_new_format_home_by_names(tmp_path: Path) -> None:
    home = convert_ha_home(yaml.safe_load(NEW_FORMAT_HOME), "combo.yaml")
    registry = home_registry(home, "combo.yaml")
    assert [f.id for f in registry.floors] == ["first_floor", "second_floor"]
    assert [(a.id, registry.floor_of(a.id)) for a in registry.areas] == [
        ("kitchen", "first_floor"),
        ("living_room", "first_floor"),
        ("bedroom", "second_floor"),
    ]
    # two entities share a name: each gets its own id; areas are named by name
    assert [(e.id, e.area) for e in registry.by_name("kitchen light")] == [
        ("light.kitchen_light", "kitchen"),
        ("light.kitchen_light_2", "living_room"),
    ]
    skylight = registry.get("binary_sensor.skylight")
    assert skylight is not None and skylight.device_class == "window"
    assert registry.get("sensor.furnace").device_class == "temperature"  # type: ignore[union-attr]
    assert "fan.hidden_fan" not in registry
    assert {e.domain.value for e in registry} == {"light", "binary_sensor", "sensor"}
    # HA's states stay beside the registry; {in, out} gives the state value
    assert home.states["binary_sensor.skylight"].state == "on"
    assert home.states["binary_sensor.skylight"].attributes == {"device_class": "window"}
    assert home.states["light.kitchen_light_2"].state == "off"
    assert home.dropped == (
        "Jane: domain 'person' not known to edge-os",
        "Hidden Fan: not exposed",
        "Attic Lamp: area 'Attic' not in the home",
    )
    assert registry.get("light.attic_lamp").area is None  # type: ignore[union-attr]


def test_entities_get_typical_capabilities_and_topics() -> None:
    config = convert_ha_fixture(yaml.safe_load(NEW_FORMAT_HOME))
    by_id = {e["id"]: e for e in config["entities"]}
    assert "brightness" in by_id["light.kitchen_light"]["capabilities"]
    assert (
        by_id["light.kitchen_light"]["mqtt"]["command_topic"]
        == "ha-fixture/light.kitchen_light/set"
    )
    assert by_id["sensor.furnace"]["mqtt"] == {"state_topic": "ha-fixture/sensor.furnace"}


def test_format_detection(tmp_path: Path) -> None:
    assert looks_like_ha_home(yaml.safe_load(NEW_FORMAT_HOME))
    assert looks_like_ha_home(yaml.safe_load(FIXTURE.read_text(encoding="utf-8")))
    assert not looks_like_ha_home(yaml.safe_load(EXAMPLE_HOME.read_text(encoding="utf-8")))
    assert read_ha_home(EXAMPLE_HOME) is None
    path = tmp_path / "home.yaml"
    path.write_text(NEW_FORMAT_HOME, encoding="utf-8")
    converted = read_ha_home(path)
    assert converted is not None and "light.kitchen_light" in converted.states


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entities: [{name: Lamp}]", r"combo.yaml: entities\[0\]: needs an id or a domain"),
        ("areas: [{id: kitchen}]", r"combo.yaml: areas\[0\]: expected a mapping with a name"),
        ("entities: [{name: Lamp, id: lamp}]", r"entities\[0\].id: 'lamp' is not an entity id"),
        ("floors: upstairs", "combo.yaml: floors: expected a list"),
    ],
)
def test_malformed_homes_name_the_entry(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        convert_ha_home(yaml.safe_load(text), "combo.yaml")
