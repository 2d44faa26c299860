"""The dispatcher: only declared entities and actions, confirmation, routing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_os.devices.entity import Action
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.dispatcher import Dispatcher
from edge_os.drivers.gpio.driver import GpioDriver, make_pin_factory
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.drivers.mqtt.driver import MqttDriver
from edge_os.stages.outcome import ActionRequest, OutcomeStatus
from tests.drivers.helpers import home_config, start_driver
from tests.mqtt_broker import Subscriber


@pytest.fixture
def wired(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> Iterator[tuple[Dispatcher, Subscriber, GpioDriver]]:
    config = home_config(tmp_path, mosquitto)
    registry = DeviceRegistry.from_config(config)
    mqtt: MqttDriver = start_driver(config)
    gpio = GpioDriver(registry, make_pin_factory("mock"))
    devices = Subscriber(mosquitto, "#", client_id="everything")
    yield Dispatcher(registry, mqtt=mqtt, gpio=gpio), devices, gpio
    devices.close()
    gpio.close()
    mqtt.stop()


def _commands(devices: Subscriber) -> list[str]:
    return [m.topic for m in devices.received() if not m.topic.startswith("edge_os/")]


def test_unknown_entity_and_undeclared_action_are_refused_and_nothing_is_sent(
    wired: tuple[Dispatcher, Subscriber, GpioDriver],
) -> None:
    dispatcher, devices, _ = wired
    ghost = dispatcher.execute(ActionRequest("light.attic", Action.TURN_ON))
    assert (
        ghost.status is OutcomeStatus.FAILED and ghost.reason == "there is no device 'light.attic'"
    )
    wrong = dispatcher.execute(
        ActionRequest("light.kitchen_counter", Action.SET_BRIGHTNESS, {"brightness": 5})
    )
    assert wrong.status is OutcomeStatus.FAILED
    assert (
        wrong.reason
        == "Counter lights cannot set brightness (it accepts: turn_on, turn_off, toggle)"
    )
    sensor = dispatcher.execute(ActionRequest("sensor.bedroom_temperature", Action.TURN_ON))
    assert "read-only" in (sensor.reason or "")
    # prove the broker path works and nothing was sent before it
    ok = dispatcher.execute(ActionRequest("switch.coffee_machine", Action.TURN_ON))
    assert ok.status is OutcomeStatus.DONE
    devices.wait_for(1, "cmnd/coffee_machine/POWER")
    assert _commands(devices) == ["cmnd/coffee_machine/POWER"]


def test_sensitive_entities_wait_for_confirmation(
    wired: tuple[Dispatcher, Subscriber, GpioDriver],
) -> None:
    dispatcher, devices, _ = wired
    request = ActionRequest("cover.garage_door", Action.OPEN)
    pending = dispatcher.execute(request)
    assert pending.status is OutcomeStatus.NEEDS_CONFIRMATION
    assert "say yes" in (pending.reason or "")
    unlock = dispatcher.execute(ActionRequest("lock.front_door", Action.UNLOCK))
    assert unlock.status is OutcomeStatus.NEEDS_CONFIRMATION
    assert dispatcher.execute(request, confirmed=True).status is OutcomeStatus.DONE
    [sent] = devices.wait_for(1, "home/garage/door/set")
    assert sent.payload == b"OPEN"
    assert _commands(devices) == ["home/garage/door/set"]


def test_routes_to_gpio_and_mqtt(wired: tuple[Dispatcher, Subscriber, GpioDriver]) -> None:
    dispatcher, devices, gpio = wired
    heater = dispatcher.execute(ActionRequest("switch.office_heater", Action.TURN_ON))
    assert heater.status is OutcomeStatus.DONE and gpio.state("switch.office_heater") == "on"
    lamp = dispatcher.execute(
        ActionRequest("light.living_room_lamp", Action.SET_COLOR, {"color": "blue"})
    )
    assert lamp.status is OutcomeStatus.DONE
    [sent] = devices.wait_for(1, "zigbee2mqtt/living_room_lamp/set")
    assert sent.payload == b'{"color": {"hex": "#0000ff"}}'


def test_missing_driver_and_bad_params_fail_with_a_reason(tmp_path: Path) -> None:
    registry = DeviceRegistry.from_config(home_config(tmp_path))
    dispatcher = Dispatcher(registry)
    outcome = dispatcher.execute(ActionRequest("switch.coffee_machine", Action.TURN_ON))
    assert (
        outcome.status is OutcomeStatus.FAILED
        and outcome.reason == "the mqtt driver is not running"
    )
