"""Whether a device's reported state shows a command arrived (the resend check)."""

from __future__ import annotations

import pytest

from edge_os.devices.entity import Entity
from edge_os.drivers.mqtt.echo import comparable, shows
from edge_os.drivers.mqtt.state import EntityState


def _state(payload: str, state: str = "ON") -> EntityState:
    return EntityState("light.x", state, 0.0, payload.encode())


@pytest.mark.parametrize(
    ("command", "payload", "state", "expected"),
    [
        ('{"brightness": 51}', '{"state": "ON", "brightness": 51}', "ON", True),
        ('{"brightness": 51}', '{"state": "ON", "brightness": 50}', "ON", False),
        ('{"state": "ON", "brightness": 51}', '{"state": "on", "brightness": 51.0}', "on", True),
        ('{"state": "OFF"}', '{"state": "ON"}', "ON", False),
        (
            '{"color": {"x": 0.3, "y": 0.4}}',
            '{"color": {"x": 0.3, "y": 0.4, "hue": 3}}',
            "ON",
            True,
        ),
        ('{"color": {"x": 0.3}}', '{"color": 7}', "ON", False),
        ('{"state": true}', '{"state": "ON"}', "on", True),
        ("heat", '{"mode": "heat"}', "heat", True),
        ("21.5", "21.50", "21.50", True),
        ("21.5", "22", "22", False),
        ("ON", "not json", "off", False),
        ("{}", "{}", "x", False),
        ("", "x", "x", False),
        ('{"brightness": 51}', "[" * 100 + "]" * 100, "x", False),
        ('{"brightness": 51}', "not json", "x", False),
        ("nan", "nan", "nan", True),
    ],
)
def test_a_state_shows_a_command(command: str, payload: str, state: str, expected: bool) -> None:
    assert shows(command.encode(), _state(payload, state)) is expected


def _entity(**mqtt: object) -> Entity:
    return Entity.model_validate({"id": "light.x", "name": "X", "mqtt": mqtt})


@pytest.mark.parametrize(
    ("topic", "command", "payload", "state", "expected"),
    [
        ("z/set", '{"brightness": 51}', '{"state": "ON", "brightness": 3}', "ON", True),
        ("z/set", '{"color_temp": 300}', '{"state": "ON", "brightness": 3}', "ON", False),
        ("z/set", '{"brightness": 51}', "ON", "ON", False),
        ("z/set", "ON", "OFF", "OFF", True),
        ("z/set", "heat", '{"mode": "off"}', "off", True),
        ("z/target/set", "21.5", '{"mode": "heat"}', "heat", False),
        ("z/set", "21.5", "21", "21", False),
    ],
)
def test_only_a_state_that_can_show_a_command_is_asked(
    topic: str, command: str, payload: str, state: str, expected: bool
) -> None:
    entity = _entity(command_topic="z/set", state_topic="z", payloads={"turn_on": "heat"})
    reported = EntityState("light.x", state, 0.0, payload.encode())
    assert comparable(topic, command.encode(), reported, entity) is expected
