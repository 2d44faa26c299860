"""Spoken replies come from what happened, never from what was asked."""

from __future__ import annotations

import pytest

from edge_os.config.loader import load_config
from edge_os.devices.entity import Action, Area, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.replies import NOT_UNDERSTOOD, NOTHING_TO_DO, answer, reply, spoken_name
from edge_os.stages.outcome import ActionOutcome, ActionRequest, OutcomeStatus, ParamValue
from edge_os.stages.protocols import IntentResult
from tests.conftest import EXAMPLE_HOME

DONE, QUEUED, FAILED, CONFIRM = (
    OutcomeStatus.DONE,
    OutcomeStatus.QUEUED,
    OutcomeStatus.FAILED,
    OutcomeStatus.NEEDS_CONFIRMATION,
)


@pytest.fixture(scope="module")
def registry() -> DeviceRegistry:
    """The example home's registry."""
    return DeviceRegistry.from_config(load_config(EXAMPLE_HOME))


def outcome(
    entity_id: str,
    action: Action,
    status: OutcomeStatus,
    reason: str | None = None,
    **params: ParamValue,
) -> ActionOutcome:
    """One outcome."""
    return ActionOutcome(ActionRequest(entity_id, action, params), status, reason)


@pytest.mark.parametrize(
    "case",
    [
        (DONE, "light.kitchen_ceiling", Action.TURN_ON, None, "Turned on the kitchen light."),
        (
            QUEUED,
            "light.kitchen_ceiling",
            Action.TURN_ON,
            "broker unreachable",
            "I'll turn on the kitchen light as soon as it can be reached.",
        ),
        (
            FAILED,
            "cover.garage_door",
            Action.OPEN,
            "it did not answer within 5 seconds.",
            "I couldn't reach the garage door: it did not answer within 5 seconds.",
        ),
        (FAILED, "cover.garage_door", Action.OPEN, None, "I couldn't reach the garage door."),
        (
            CONFIRM,
            "lock.front_door",
            Action.UNLOCK,
            None,
            "Do you want me to unlock the front door?",
        ),
        (DONE, "lock.front_door", Action.LOCK, None, "Locked the front door."),
        (DONE, "cover.living_room_blinds", Action.CLOSE, None, "Closed the blinds."),
    ],
)
def test_each_status(
    registry: DeviceRegistry, case: tuple[OutcomeStatus, str, Action, str | None, str]
):
    status, entity_id, action, reason, expected = case
    assert reply([outcome(entity_id, action, status, reason)], registry) == expected


def test_only_done_says_it_happened(registry: DeviceRegistry):
    for status in (QUEUED, FAILED, CONFIRM):
        text = reply([outcome("light.kitchen_ceiling", Action.TURN_ON, status, "x")], registry)
        assert "Turned" not in text


def test_settings_speak_their_value(registry: DeviceRegistry):
    dim = outcome("light.kitchen_ceiling", Action.SET_BRIGHTNESS, DONE, brightness=40)
    assert reply([dim], registry) == "Set the kitchen light to 40 percent."
    heat = outcome(
        "climate.living_room_thermostat", Action.SET_TEMPERATURE, QUEUED, temperature=21.0
    )
    assert reply([heat], registry) == (
        "I'll set the thermostat to 21 degrees as soon as it can be reached."
    )
    volume = outcome("media_player.living_room_speaker", Action.SET_VOLUME, DONE, volume=30)
    assert reply([volume], registry) == "Set the volume of the living room speaker to 30 percent."


def test_three_lights_in_one_area_are_counted():
    kitchen = DeviceRegistry(
        areas=(Area(id="kitchen", name="Kitchen"),),
        entities=tuple(
            Entity(id=f"light.kitchen_{n}", name=f"Kitchen light {n}", area="kitchen")
            for n in range(3)
        ),
    )
    outcomes = [outcome(entity.id, Action.TURN_ON, DONE) for entity in kitchen]
    assert reply(outcomes, kitchen) == "Turned on 3 lights in the kitchen."


def test_two_targets_are_named(registry: DeviceRegistry):
    outcomes = [
        outcome("light.kitchen_ceiling", Action.TURN_OFF, DONE),
        outcome("switch.coffee_machine", Action.TURN_OFF, DONE),
    ]
    assert reply(outcomes, registry) == "Turned off the kitchen light and the coffee machine."


def test_many_devices_in_several_areas(registry: DeviceRegistry):
    ids = ("light.kitchen_ceiling", "switch.coffee_machine", "light.bedroom_lamp")
    outcomes = [outcome(entity_id, Action.TURN_OFF, DONE) for entity_id in ids]
    assert reply(outcomes, registry) == "Turned off 3 devices."


def test_mixed_outcomes_report_each_truthfully(registry: DeviceRegistry):
    outcomes = [
        outcome("light.garage_light", Action.TURN_ON, FAILED, "GPIO pin busy"),
        outcome("lock.front_door", Action.UNLOCK, CONFIRM),
        outcome("light.kitchen_ceiling", Action.TURN_ON, DONE),
        outcome("light.kitchen_counter", Action.TURN_ON, QUEUED),
    ]
    assert reply(outcomes, registry) == (
        "Turned on the kitchen light. "
        "I'll turn on the counter lights as soon as it can be reached. "
        "I couldn't reach the garage light: GPIO pin busy. "
        "Do you want me to unlock the front door?"
    )


def test_failures_with_different_reasons_stay_apart(registry: DeviceRegistry):
    outcomes = [
        outcome("light.kitchen_ceiling", Action.TURN_ON, FAILED, "timeout"),
        outcome("light.kitchen_counter", Action.TURN_ON, FAILED, "refused"),
    ]
    assert reply(outcomes, registry) == (
        "I couldn't reach the kitchen light: timeout. I couldn't reach the counter lights: refused."
    )


def test_several_confirmations_make_one_question(registry: DeviceRegistry):
    outcomes = [
        outcome("lock.front_door", Action.UNLOCK, CONFIRM),
        outcome("cover.garage_door", Action.OPEN, CONFIRM),
    ]
    assert reply(outcomes, registry) == (
        "Do you want me to unlock the front door and open the garage door?"
    )


def test_not_understood_and_nothing_to_do(registry: DeviceRegistry):
    assert answer(IntentResult(text="blah", intent=None), [], registry) == NOT_UNDERSTOOD
    assert NOT_UNDERSTOOD == "Sorry, I didn't understand."
    understood = IntentResult(text="turn on x", intent="HassTurnOn")
    assert answer(understood, [], registry) == NOTHING_TO_DO
    done = [outcome("light.kitchen_ceiling", Action.TURN_ON, DONE)]
    assert answer(understood, done, registry) == "Turned on the kitchen light."


def test_unknown_entity_is_named_from_its_id(registry: DeviceRegistry):
    text = reply([outcome("light.porch_lamp", Action.TURN_ON, DONE)], registry)
    assert text == "Turned on the porch lamp."


@pytest.mark.parametrize(
    ("name", "spoken"),
    [("Kitchen light", "the kitchen light"), ("Living room TV", "the living room TV"),
     ("My desk", "my desk")],
)  # fmt: skip
def test_spoken_name(name: str, spoken: str):
    assert spoken_name(name) == spoken
