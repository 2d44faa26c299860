"""State questions: HA's state for raw payloads, and answers shaped by the template's response."""

from __future__ import annotations

import pytest

from edge_os.devices.registry import DeviceRegistry
from edge_os.devices.states import ha_state
from edge_os.intent.grammar import GrammarRecognizer
from edge_os.replies import state_answer

REPORTED = {  # as the state cache hands them over (a JSON payload's state_key value)
    "light.kitchen_ceiling": "ON",
    "light.kitchen_counter": "OFF",
    "light.living_room_lamp": "ON",
    "light.bedroom_lamp": "off",
    "light.desk_led": "on",
    "lock.front_door": "UNLOCKED",
    "binary_sensor.front_door_contact": "true",
}


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("which lights are on in the kitchen", "Kitchen light."),
        ("how many lights are on", "3. I don't know about Garage light yet."),
        ("is any light on in the kitchen", "Yes, Kitchen light."),
        ("are all the lights off in the kitchen", "No, Kitchen light is not off."),
        ("is the kitchen light on", "Yes."),
        ("is the bedroom lamp on", "No, it is off."),
        ("is the front door locked", "No, it is unlocked."),
        ("is the front door contact open", "Yes."),
        ("what's the temperature in the bedroom", "I don't know the temperature of the "
         "bedroom temperature yet."),
    ],
)  # fmt: skip
def test_answers_follow_the_question(
    grammar: GrammarRecognizer, registry: DeviceRegistry, text: str, answer: str
) -> None:
    result = grammar.recognize(text)
    assert result.understood, text
    assert state_answer(result, registry, REPORTED) == answer


def test_raw_payloads_become_ha_states(registry: DeviceRegistry) -> None:
    light = registry["light.kitchen_ceiling"]
    lock = registry["lock.front_door"]
    contact = registry["binary_sensor.front_door_contact"]
    cover = registry["cover.living_room_blinds"]
    assert [ha_state(light, raw) for raw in ("ON", "off", "true", "0", None, " ")] == [
        "on", "off", "on", "off", None, None]  # fmt: skip
    assert [ha_state(lock, raw) for raw in ("LOCKED", "UNLOCK", "jammed")] == [
        "locked", "unlocked", "jammed"]  # fmt: skip
    assert ha_state(contact, "open") == "on"
    assert [ha_state(cover, raw) for raw in ("OPEN", "0", "45", "closing")] == [
        "open", "closed", "open", "closing"]  # fmt: skip
