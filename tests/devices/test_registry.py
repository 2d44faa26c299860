"""The example home loads into a registry with every domain and working lookups."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from edge_os.config.loader import load_config
from edge_os.devices.entity import (
    Action,
    Domain,
    Entity,
    render_template,
    template_placeholders,
)
from edge_os.devices.registry import DeviceRegistry, normalize_name
from edge_os.errors import ConfigError
from tests.conftest import EXAMPLE_HOME


@pytest.fixture(scope="module")
def registry() -> DeviceRegistry:
    config = load_config(EXAMPLE_HOME)
    return DeviceRegistry.from_config(config)


def test_example_home_size(registry: DeviceRegistry) -> None:
    assert len(registry) >= 12
    assert len({entity.area for entity in registry}) >= 5
    assert len(registry.areas) == 7


def test_example_home_covers_every_required_kind(registry: DeviceRegistry) -> None:
    domains = Counter(entity.domain for entity in registry)
    for domain in (
        Domain.LIGHT,
        Domain.SWITCH,
        Domain.COVER,
        Domain.CLIMATE,
        Domain.FAN,
        Domain.LOCK,
    ):
        assert domains[domain] >= 1, domain
    lights = [entity for entity in registry if entity.domain is Domain.LIGHT]
    assert any(Action.SET_BRIGHTNESS in light.actions for light in lights)
    assert any(Action.SET_BRIGHTNESS not in light.actions for light in lights)
    gpio = [entity for entity in registry if entity.transport == "gpio"]
    assert {entity.gpio.kind for entity in gpio if entity.gpio} >= {"PWMLED", "OutputDevice", "LED"}


def test_lookup_by_id_never_guesses(registry: DeviceRegistry) -> None:
    entity = registry.get("light.kitchen_ceiling")
    assert entity is not None
    assert entity.name == "Kitchen light"
    assert registry.get("light.kitchen") is None
    assert "light.kitchen_ceiling" in registry
    assert "light.attic" not in registry


def test_lookup_by_name_and_alias(registry: DeviceRegistry) -> None:
    assert [e.id for e in registry.by_name("the Kitchen Light!")] == []
    assert [e.id for e in registry.by_name("Kitchen light")] == ["light.kitchen_ceiling"]
    assert [e.id for e in registry.by_name("ceiling  LIGHT")] == ["light.kitchen_ceiling"]
    assert [e.id for e in registry.by_name("coffee maker")] == ["switch.coffee_machine"]


def test_lookup_by_area(registry: DeviceRegistry) -> None:
    assert {e.id for e in registry.in_area("office")} == {"light.desk_led", "switch.office_heater"}
    area = registry.area("living_room")
    assert area is not None
    assert "lounge" in area.aliases


def test_sensitive_defaults(registry: DeviceRegistry) -> None:
    sensitive = {entity.id for entity in registry if entity.is_sensitive}
    assert sensitive == {"lock.front_door", "cover.garage_door"}


def test_an_alarm_switch_is_sensitive_and_never_part_of_everything(tmp_path: Path) -> None:
    from edge_os.config.loader import parse_config
    from edge_os.intent.mentions import entities_of

    config = parse_config(
        """
areas: [{id: hall, name: Hall}]
entities:
  - {id: switch.house_security, name: Security system, area: hall, gpio: {pin: 5, kind: LED}}
  - {id: switch.hall_lamp, name: Hall lamp, area: hall, gpio: {pin: 6, kind: LED}}
""",
        "home.yaml",
        tmp_path,
    )
    home = DeviceRegistry.from_config(config)
    assert [e.id for e in home if e.is_sensitive] == ["switch.house_security"]
    # "turn everything off" does not disarm the house
    assert [e.id for e in entities_of(home, "everything", "hall")] == ["switch.hall_lamp"]


def test_actions_follow_domain_and_capabilities(registry: DeviceRegistry) -> None:
    def actions(entity_id: str) -> tuple[str, ...]:
        entity = registry.get(entity_id)
        assert entity is not None
        return tuple(entity.actions)

    assert actions("lock.front_door") == ("lock", "unlock")
    assert actions("cover.living_room_blinds") == ("open", "close", "stop", "set_position")
    assert actions("sensor.bedroom_temperature") == ()
    assert actions("media_player.living_room_speaker") == (
        "turn_on",
        "turn_off",
        "set_volume",
        "volume_up",
        "volume_down",
        "pause",
        "resume",
    )


def test_payload_templates(registry: DeviceRegistry) -> None:
    ceiling = registry.get("light.kitchen_ceiling")
    assert ceiling is not None
    template = ceiling.payload_template(Action.SET_BRIGHTNESS)
    assert template_placeholders(template) == {"brightness_255"}
    assert (
        render_template(template, {"brightness_255": 128}) == '{"state": "ON", "brightness": 128}'
    )
    counter = registry.get("light.kitchen_counter")
    assert counter is not None
    assert counter.payload_template(Action.TURN_ON) == "ON"


def test_render_does_not_evaluate() -> None:
    assert render_template("{{ x }}", {"x": "{{ __import__('os') }}"}) == "{{ __import__('os') }}"


def test_gpio_entity_has_no_payloads() -> None:
    entity = Entity.model_validate({"id": "switch.a", "name": "A", "gpio": {"pin": 4}})
    with pytest.raises(ValueError, match="not an MQTT entity"):
        entity.payload_template(Action.TURN_ON)


def test_normalize_name() -> None:
    assert normalize_name("  Living-Room   Lamp! ") == "living room lamp"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("   ", "must not be blank"),
        ("bad\0name", "control character (U+0000)"),
        ("evil\u202ethgil", "text-direction or format mark (U+202E)"),
        ("tab\there", "control character (U+0009)"),
    ],
)
def test_a_name_that_cannot_be_said_is_refused(name: str, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "home.yaml"
    path.write_text(
        "areas: [{id: hall, name: Hall, aliases: [ok]}]\n"
        f"entities:\n  - {{id: light.a, name: {json.dumps(name)}, gpio: {{pin: 17}}}}\n"
        f"  - {{id: light.b, name: B, aliases: [{json.dumps(name)}], gpio: {{pin: 18}}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.exit_code == 2
    messages = [issue.message for issue in caught.value.issues]
    assert len(messages) == 2 and all(problem in m for m in messages), messages


def test_names_are_trimmed_and_joiners_kept() -> None:
    entity = Entity.model_validate(
        {"id": "light.a", "name": "  Family 👨\u200d👩\u200d👧 lamp ", "gpio": {"pin": 17}}
    )
    assert entity.name == "Family 👨\u200d👩\u200d👧 lamp"
