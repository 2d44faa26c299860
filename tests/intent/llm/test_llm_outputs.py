"""The output language: only registry entities, only intents that apply, typed slot values."""

from __future__ import annotations

import pytest

from edge_os.devices.entity import Area, Capability, Domain, Entity, MqttBinding
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.llm.outputs import UNKNOWN, allowed_outputs, entity_labels


def test_every_output_names_a_registry_entity_and_an_applicable_intent(
    registry: DeviceRegistry,
) -> None:
    outputs = allowed_outputs(registry)
    assert outputs[UNKNOWN].intent is None
    for text, parsed in outputs.items():
        if parsed.intent is None:
            continue
        (target,) = parsed.targets
        entity = registry.get(target)
        assert entity is not None, text
        if parsed.intent == "HassLightSet":
            assert entity.domain is Domain.LIGHT
            assert set(parsed.slots) <= {"brightness", "color"}
            if "brightness" in parsed.slots:
                assert Capability.BRIGHTNESS in entity.capabilities
        if parsed.intent in {"HassTurnOn", "HassTurnOff"}:
            assert entity.actions, f"{text}: {target} is read-only"
        for name, value in parsed.slots.items():
            if name in {"brightness", "percentage", "position", "volume_level"}:
                assert isinstance(value, int) and 0 <= value <= 100, text
            if name == "temperature":
                assert isinstance(value, int | float) and 5 <= value <= 35, text


def test_slot_values_are_typed(registry: DeviceRegistry) -> None:
    outputs = allowed_outputs(registry)
    assert outputs["desk light: brightness 30"].slots == {"brightness": 30}
    assert outputs["thermostat: temperature 21.5"].slots == {"temperature": 21.5}
    assert outputs["thermostat: temperature 21"].slots == {"temperature": 21}
    assert type(outputs["thermostat: temperature 21"].slots["temperature"]) is int
    assert outputs["floor lamp: color blue"].slots == {"color": "blue"}


def test_intents_do_not_apply_where_the_entity_cannot(registry: DeviceRegistry) -> None:
    outputs = allowed_outputs(registry)
    assert "counter lights: brightness 50" not in outputs  # no brightness capability
    assert "bedroom temperature: on" not in outputs  # a sensor has no actions
    assert "desk light: color red" not in outputs
    assert "garage door: position 50" not in outputs
    assert outputs["front door: on"].intent == "HassTurnOn"  # HA: TurnOn locks a lock
    assert outputs["front door: on"].targets == ("lock.front_door",)


def test_aliases_map_to_their_entity(registry: DeviceRegistry) -> None:
    outputs = allowed_outputs(registry)
    assert outputs["bedroom light: off"].targets == ("light.bedroom_lamp",)
    assert outputs["bedside lamp: off"].targets == ("light.bedroom_lamp",)


def test_a_shared_name_is_never_an_output_label() -> None:
    binding = MqttBinding(command_topic="x/set")
    registry = DeviceRegistry(
        areas=(Area(id="a", name="A"),),
        entities=(
            Entity(id="light.one", name="Lamp", aliases=["reading light"], mqtt=binding),
            Entity(id="light.two", name="Lamp", mqtt=binding),
        ),
    )
    labels = entity_labels(registry)
    assert labels == {"light.one": ("reading light",), "light.two": ("light.two",)}
    assert "lamp: on" not in allowed_outputs(registry)


@pytest.mark.parametrize(
    "text",
    ["light.nonexistent: on", "nonexistent: on", "desk light: brightness 101", "desk light", ""],
)
def test_what_is_not_in_the_language_is_not_an_output(registry: DeviceRegistry, text: str) -> None:
    assert text not in allowed_outputs(registry)
