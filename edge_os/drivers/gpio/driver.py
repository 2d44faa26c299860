"""The GPIO device driver and buttons, via gpiozero and a pin factory from the config.

``pin_factory: auto`` takes the real pins on a Raspberry Pi and gpiozero's MockFactory
(with PWM-capable mock pins) anywhere else, so the whole service runs on a laptop.
gpiozero calls button callbacks in its own thread: wrap them with :func:`call_in_loop`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from edge_os.config.settings import GpioSettings
from edge_os.devices.entity import PWM_KINDS, Action, Entity
from edge_os.drivers.payloads import PERCENT_PARAMS, action_values
from edge_os.errors import DeviceError, ErrorCode, MissingDependencyError
from edge_os.stages.outcome import ActionOutcome, ActionRequest, OutcomeStatus

_LOGGER = logging.getLogger(__name__)

PI_MODEL_FILE = Path("/proc/device-tree/model")
REAL_FACTORIES = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
}
"""gpiozero's real pin factories, in the order gpiozero itself tries them."""


def _gpiozero() -> Any:
    try:
        import gpiozero
    except ImportError as err:  # pragma: no cover - the gpio extra is installed in tests
        raise MissingDependencyError("gpiozero", "gpio") from err
    return gpiozero


def on_raspberry_pi(model_file: Path = PI_MODEL_FILE) -> bool:
    """Whether this machine is a Raspberry Pi (from the device tree's model string)."""
    try:
        return "raspberry pi" in model_file.read_text(errors="replace").lower()
    except OSError:
        return False


def mock_factory() -> Any:
    """gpiozero's MockFactory with PWM-capable pins (a shipped backend, not a test fake)."""
    _gpiozero()
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=MockPWMPin)


def make_pin_factory(name: str) -> Any:
    """The pin factory ``gpio.pin_factory`` names (``auto``: real on a Pi, mock elsewhere)."""
    if name == "mock" or (name == "auto" and not on_raspberry_pi()):
        if name == "auto":
            _LOGGER.info("not a Raspberry Pi: GPIO uses gpiozero's MockFactory")
        return mock_factory()
    _gpiozero()
    import importlib

    candidates = list(REAL_FACTORIES) if name == "auto" else [name]
    errors = []
    for candidate in candidates:
        module_name, class_name = REAL_FACTORIES[candidate]
        try:
            return getattr(importlib.import_module(module_name), class_name)()
        except Exception as err:  # each backend fails in its own way (ImportError, OSError)
            errors.append(f"{candidate}: {err}")
    raise DeviceError(
        ErrorCode.GPIO_FAILED, "no GPIO pin factory could start (" + "; ".join(errors) + ")"
    )


def call_in_loop(
    loop: asyncio.AbstractEventLoop, callback: Callable[[], None]
) -> Callable[[], None]:
    """A callback safe to give gpiozero: it runs ``callback`` in ``loop``'s thread."""

    def handover() -> None:
        loop.call_soon_threadsafe(callback)

    return handover


def _device_class(kind: str) -> Any:
    return getattr(_gpiozero(), kind)


class GpioDriver:
    """Drives GPIO entities: on/off for every kind, a duty cycle for PWM kinds."""

    def __init__(self, entities: Iterable[Entity], factory: Any) -> None:
        self.factory = factory
        self.devices: dict[str, Any] = {}
        gpiozero = _gpiozero()
        for entity in entities:
            if entity.gpio is None:
                continue
            binding = entity.gpio
            try:
                self.devices[entity.id] = _device_class(binding.kind)(
                    binding.pin,
                    active_high=binding.active_high,
                    initial_value=binding.initial_value,
                    pin_factory=factory,
                )
            except gpiozero.GPIOZeroError as err:
                self.close()
                raise DeviceError(
                    ErrorCode.GPIO_FAILED, f"{entity.id}: cannot use GPIO {binding.pin}: {err}"
                ) from err
        self._entities = {e.id: e for e in entities if e.id in self.devices}

    def execute(self, request: ActionRequest) -> ActionOutcome:
        """Set the pin; DONE once gpiozero has set it."""
        device = self.devices.get(request.entity_id)
        entity = self._entities.get(request.entity_id)
        if device is None or entity is None or entity.gpio is None:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"{request.entity_id} is not a GPIO entity"
            )
        try:
            if request.action is Action.TURN_ON:
                device.on()
            elif request.action is Action.TURN_OFF:
                device.off()
            elif request.action in (Action.SET_BRIGHTNESS, Action.SET_PERCENTAGE):
                if entity.gpio.kind not in PWM_KINDS:
                    raise DeviceError(
                        ErrorCode.GPIO_FAILED, f"{entity.id} is a {entity.gpio.kind}: it cannot dim"
                    )
                percent = float(action_values(entity, request)[PERCENT_PARAMS[request.action]])
                device.value = percent / 100
            else:
                raise DeviceError(
                    ErrorCode.GPIO_FAILED, f"a GPIO pin cannot {request.action.value}"
                )
        except DeviceError as err:
            return ActionOutcome(request, OutcomeStatus.FAILED, err.message)
        except Exception as err:  # gpiozero raises its own tree plus OSError from drivers
            _LOGGER.warning("GPIO action on %s failed: %s", request.entity_id, err)
            return ActionOutcome(request, OutcomeStatus.FAILED, f"the GPIO pin failed: {err}")
        return ActionOutcome(request, OutcomeStatus.DONE)

    def state(self, entity_id: str) -> str | None:
        """``on``/``off`` of a GPIO entity (None when unknown)."""
        device = self.devices.get(entity_id)
        if device is None:
            return None
        return "on" if device.is_active else "off"

    def value(self, entity_id: str) -> float | None:
        """Output level 0.0-1.0 (the duty cycle of PWM kinds)."""
        device = self.devices.get(entity_id)
        return None if device is None else float(device.value)

    def close(self) -> None:
        """Release every pin."""
        for device in self.devices.values():
            device.close()
        self.devices.clear()


class GpioButtons:
    """Push-to-talk and mute buttons (to ground, internal pull-up), debounced by gpiozero."""

    def __init__(
        self,
        settings: GpioSettings,
        factory: Any,
        *,
        on_push_to_talk: Callable[[], None] | None = None,
        on_mute: Callable[[], None] | None = None,
    ) -> None:
        gpiozero = _gpiozero()
        bounce = settings.bounce_ms / 1000 if settings.bounce_ms else None
        self.buttons: dict[str, Any] = {}
        wanted = (
            ("push_to_talk", settings.push_to_talk_pin, on_push_to_talk),
            ("mute", settings.mute_pin, on_mute),
        )
        for name, pin, callback in wanted:
            if pin is None or callback is None:
                continue
            try:
                button = gpiozero.Button(pin, bounce_time=bounce, pin_factory=factory)
            except gpiozero.GPIOZeroError as err:
                self.close()
                raise DeviceError(
                    ErrorCode.GPIO_FAILED, f"gpio.{name}_pin: cannot use GPIO {pin}: {err}"
                ) from err
            button.when_pressed = _guarded(name, callback)
            self.buttons[name] = button

    def close(self) -> None:
        """Release the buttons' pins."""
        for button in self.buttons.values():
            button.close()
        self.buttons.clear()


def _guarded(name: str, callback: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            callback()
        except Exception:  # an exception here would kill gpiozero's event thread
            _LOGGER.exception("the %s button handler failed", name)

    return run
