"""Pure cores of the action stage: payload values, durable queue."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge_os.config.loader import load_config
from edge_os.devices.entity import Action
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.mqtt.queue import CommandQueue
from edge_os.drivers.payloads import PayloadError, action_values, render_command
from edge_os.stages.outcome import ActionRequest
from tests.conftest import EXAMPLE_HOME


@pytest.fixture(scope="module")
def home() -> DeviceRegistry:
    return DeviceRegistry.from_config(load_config(EXAMPLE_HOME))


def _values(registry: DeviceRegistry, entity_id: str, action: Action, **params: object):  # type: ignore[no-untyped-def]
    entity = registry.get(entity_id)
    assert entity is not None
    return action_values(entity, ActionRequest(entity_id, action, params))  # type: ignore[arg-type]


def test_brightness_fills_brightness_255(home: DeviceRegistry) -> None:
    values = _values(home, "light.kitchen_ceiling", Action.SET_BRIGHTNESS, brightness=50)
    assert values["brightness"] == 50 and values["brightness_255"] == 128
    full = _values(home, "light.kitchen_ceiling", Action.SET_BRIGHTNESS, brightness="100")
    assert full["brightness_255"] == 255


def test_color_name_and_hex(home: DeviceRegistry) -> None:
    red = _values(home, "light.living_room_lamp", Action.SET_COLOR, color="Red")
    assert (red["hex"], red["r"], red["g"], red["b"]) == ("#ff0000", 255, 0, 0)
    custom = _values(home, "light.living_room_lamp", Action.SET_COLOR, color="#1A2b3c")
    assert (custom["r"], custom["g"], custom["b"]) == (26, 43, 60)
    with pytest.raises(PayloadError, match="unknown colour 'plaid'"):
        _values(home, "light.living_room_lamp", Action.SET_COLOR, color="plaid")


def test_kelvin_and_mireds_from_each_other(home: DeviceRegistry) -> None:
    warm = _values(home, "light.kitchen_ceiling", Action.SET_COLOR_TEMP, kelvin=2700)
    assert warm["mireds"] == 370
    cold = _values(home, "light.kitchen_ceiling", Action.SET_COLOR_TEMP, mireds=153)
    assert cold["kelvin"] == 6536
    with pytest.raises(PayloadError, match="kelvin must be between 1000 and 20000"):
        _values(home, "light.kitchen_ceiling", Action.SET_COLOR_TEMP, kelvin=50000)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "brightness is missing"),
        ({"brightness": 101}, "between 0 and 100, got 101"),
        ({"brightness": "lots"}, "must be a number, got 'lots'"),
        ({"brightness": float("nan")}, "finite"),
    ],
)
def test_bad_params_are_clear_errors(
    home: DeviceRegistry, params: dict[str, object], message: str
) -> None:
    with pytest.raises(PayloadError, match=message):
        _values(home, "light.kitchen_ceiling", Action.SET_BRIGHTNESS, **params)


def test_render_command_uses_templates_topics_and_defaults(home: DeviceRegistry) -> None:
    def render(entity_id: str, action: Action, **params: object) -> tuple[str, bytes, bool]:
        entity = home.get(entity_id)
        assert entity is not None
        return render_command(entity, ActionRequest(entity_id, action, params))  # type: ignore[arg-type]

    assert render("light.kitchen_ceiling", Action.SET_BRIGHTNESS, brightness=20) == (
        "zigbee2mqtt/kitchen_ceiling/set",
        b'{"state": "ON", "brightness": 51}',
        False,
    )
    assert render("light.kitchen_counter", Action.TURN_ON) == (
        "cmnd/kitchen_counter/POWER",
        b"ON",
        False,
    )
    assert render("climate.living_room_thermostat", Action.SET_TEMPERATURE, temperature=21.5) == (
        "home/living_room/thermostat/target/set",
        b"21.5",
        False,
    )
    assert render("fan.bedroom_fan", Action.SET_PERCENTAGE, percentage=40)[:2] == (
        "home/bedroom/fan/percentage/set",
        b"40",
    )


def test_queue_is_fifo_and_survives_reopening(tmp_path: Path) -> None:
    queue = CommandQueue(tmp_path)
    ids = [
        queue.push(f"t/{i}", f"p{i}".encode(), retain=i == 1, entity_id="switch.x").id
        for i in range(3)
    ]
    assert ids == sorted(ids) and len(queue) == 3
    head = queue.head()
    assert head is not None and (head.topic, head.payload, head.retain) == ("t/0", b"p0", False)
    queue.remove(ids[0])
    queue.close()
    reopened = CommandQueue(tmp_path)
    assert len(reopened) == 2
    head = reopened.head()
    assert head is not None and (head.id, head.topic, head.retain) == (ids[1], "t/1", True)
    with sqlite3.connect(reopened.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()
