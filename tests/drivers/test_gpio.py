"""GPIO through gpiozero's MockFactory (a shipped backend): pin levels, PWM, buttons."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge_os.config.loader import load_config
from edge_os.config.settings import GpioSettings
from edge_os.devices.entity import Action, Entity
from edge_os.drivers.gpio.driver import GpioButtons, GpioDriver, make_pin_factory, on_raspberry_pi
from edge_os.errors import DeviceError
from edge_os.stages.outcome import ActionRequest, OutcomeStatus
from tests.conftest import EXAMPLE_HOME
from tests.waiting import wait_until


@pytest.fixture
def factory() -> Any:
    return make_pin_factory("mock")


@pytest.fixture
def driver(factory: Any) -> Iterator[GpioDriver]:
    gpio = GpioDriver(load_config(EXAMPLE_HOME).entities, factory)
    yield gpio
    gpio.close()


def test_auto_is_mock_off_a_pi(tmp_path: Path) -> None:
    fake_model = tmp_path / "model"
    fake_model.write_text("Intel NUC\x00")
    assert not on_raspberry_pi(fake_model)
    fake_model.write_text("Raspberry Pi 4 Model B Rev 1.4\x00")
    assert on_raspberry_pi(fake_model)
    if not on_raspberry_pi():
        assert type(make_pin_factory("auto")).__name__ == "MockFactory"


def test_only_gpio_entities_get_pins(driver: GpioDriver) -> None:
    assert set(driver.devices) == {"light.desk_led", "switch.office_heater", "light.garage_light"}


def test_led_on_off_sets_the_pin(driver: GpioDriver, factory: Any) -> None:
    pin = factory.pin(27)
    assert pin.state == 0
    assert (
        driver.execute(ActionRequest("light.garage_light", Action.TURN_ON)).status
        is OutcomeStatus.DONE
    )
    assert pin.state == 1 and driver.state("light.garage_light") == "on"
    driver.execute(ActionRequest("light.garage_light", Action.TURN_OFF))
    assert pin.state == 0 and driver.state("light.garage_light") == "off"


def test_active_low_relay_is_inverted(driver: GpioDriver, factory: Any) -> None:
    pin = factory.pin(17)
    assert pin.state == 1  # off, on a board that switches on a low level
    driver.execute(ActionRequest("switch.office_heater", Action.TURN_ON))
    assert pin.state == 0 and driver.state("switch.office_heater") == "on"


def test_pwm_brightness_is_the_duty_cycle(driver: GpioDriver, factory: Any) -> None:
    pin = factory.pin(18)
    outcome = driver.execute(
        ActionRequest("light.desk_led", Action.SET_BRIGHTNESS, {"brightness": 30})
    )
    assert outcome.status is OutcomeStatus.DONE
    assert pin.state == pytest.approx(0.3)
    bad = driver.execute(
        ActionRequest("light.desk_led", Action.SET_BRIGHTNESS, {"brightness": 130})
    )
    assert bad.status is OutcomeStatus.FAILED and "between 0 and 100" in (bad.reason or "")
    assert pin.state == pytest.approx(0.3)  # a bad value changes nothing


def test_a_pin_in_use_is_a_clear_error(factory: Any) -> None:
    light = Entity.model_validate({"id": "light.a", "name": "A", "gpio": {"pin": 4}})
    again = Entity.model_validate({"id": "light.b", "name": "B", "gpio": {"pin": 4}})
    with pytest.raises(DeviceError, match=r"light\.b: cannot use GPIO 4"):
        GpioDriver([light, again], factory)


def test_buttons_call_back_when_pressed(factory: Any) -> None:
    pressed: list[str] = []
    done = threading.Event()

    def mute() -> None:
        pressed.append("mute")
        done.set()

    settings = GpioSettings(push_to_talk_pin=5, mute_pin=6, bounce_ms=0)
    buttons = GpioButtons(
        settings, factory, on_push_to_talk=lambda: pressed.append("talk"), on_mute=mute
    )
    try:
        factory.pin(5).drive_low()  # buttons wire the pin to ground (internal pull-up)
        wait_until(lambda: pressed == ["talk"], 5, "the push-to-talk callback")
        factory.pin(5).drive_high()
        factory.pin(6).drive_low()
        assert done.wait(5)
        assert pressed == ["talk", "mute"]
    finally:
        buttons.close()
