"""From an action's parameters to the placeholder values and payload its template needs.

``brightness`` 0-100 also gives ``brightness_255`` and ``brightness_254`` (Zigbee's level,
Zigbee2MQTT's scale); a colour name or ``#rrggbb`` gives
``hex``, ``r``, ``g``, ``b``; ``kelvin`` and ``mireds`` are derived from each other.
Values are checked here so that a bad request fails before anything is sent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from edge_os.devices.colors import COLOR_NAMES
from edge_os.devices.entity import Action, Entity, render_template
from edge_os.errors import DeviceError, ErrorCode
from edge_os.stages.outcome import ActionRequest, ParamValue

Values = dict[str, str | int | float]

HEX_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")
KELVIN_RANGE = (1000, 20000)
TEMPERATURE_RANGE = (-40.0, 120.0)
"""Thermostat set points accepted (covers both degrees Celsius and Fahrenheit)."""
PERCENT_PARAMS = {
    Action.SET_BRIGHTNESS: "brightness",
    Action.SET_PERCENTAGE: "percentage",
    Action.SET_POSITION: "position",
    Action.SET_VOLUME: "volume",
}


class PayloadError(DeviceError):
    """A parameter is missing or out of range: nothing was sent."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.ACTION_FAILED, message)


def _number(params: Mapping[str, ParamValue], name: str) -> float:
    if name not in params:
        raise PayloadError(f"{name} is missing")
    value = params[name]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PayloadError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise PayloadError(f"{name} must be a finite number, got {value!r}")
    return number


def _in_range(name: str, number: float, low: float, high: float) -> float:
    if not low <= number <= high:
        raise PayloadError(f"{name} must be between {low:g} and {high:g}, got {number:g}")
    return number


def _whole(number: float) -> int | float:
    return int(number) if number.is_integer() else round(number, 2)


def color_values(color: ParamValue) -> Values:
    """``color``, ``hex``, ``r``, ``g``, ``b`` for a colour name or ``#rrggbb``."""
    text = str(color).strip().lower()
    hex_value = COLOR_NAMES.get(text)
    if hex_value is None:
        match = HEX_COLOR.match(text)
        if match is None:
            known = ", ".join(sorted(COLOR_NAMES))
            raise PayloadError(f"unknown colour {color!r} (expected #rrggbb or one of: {known})")
        hex_value = "#" + match.group(1)
    red, green, blue = (int(hex_value[i : i + 2], 16) for i in (1, 3, 5))
    return {"color": text, "hex": hex_value, "r": red, "g": green, "b": blue}


def color_temp_values(params: Mapping[str, ParamValue]) -> Values:
    """``kelvin`` and ``mireds`` from either one of them."""
    if "kelvin" in params:
        kelvin = _in_range("kelvin", _number(params, "kelvin"), *KELVIN_RANGE)
    elif "mireds" in params:
        mireds = _number(params, "mireds")
        low, high = 1e6 / KELVIN_RANGE[1], 1e6 / KELVIN_RANGE[0]
        kelvin = 1e6 / _in_range("mireds", mireds, low, high)
    else:
        raise PayloadError("kelvin (or mireds) is missing")
    return {"kelvin": round(kelvin), "mireds": round(1e6 / kelvin)}


def action_values(entity: Entity, request: ActionRequest) -> Values:
    """Every placeholder value the request's action offers, checked."""
    action = request.action
    params = request.params
    values: Values = {"entity_id": entity.id}
    if action in PERCENT_PARAMS:
        name = PERCENT_PARAMS[action]
        number = _in_range(name, _number(params, name), 0, 100)
        values[name] = _whole(number)
        if action is Action.SET_BRIGHTNESS:
            values["brightness_255"] = round(number * 255 / 100)
            values["brightness_254"] = round(number * 254 / 100)
    elif action is Action.SET_COLOR:
        if "color" not in params:
            raise PayloadError("color is missing")
        values.update(color_values(params["color"]))
    elif action is Action.SET_COLOR_TEMP:
        values.update(color_temp_values(params))
    elif action is Action.SET_TEMPERATURE:
        number = _in_range("temperature", _number(params, "temperature"), *TEMPERATURE_RANGE)
        values["temperature"] = _whole(number)
    return values


def render_command(entity: Entity, request: ActionRequest) -> tuple[str, bytes, bool]:
    """Topic, payload and retain flag of the MQTT command for ``request``."""
    if entity.mqtt is None:
        raise PayloadError(f"{entity.id} is not an MQTT entity")
    topic = entity.mqtt.topics.get(request.action, entity.mqtt.command_topic)
    if topic is None:
        raise PayloadError(f"{entity.id} has no command topic")
    payload = render_template(
        entity.payload_template(request.action), action_values(entity, request)
    )
    return topic, payload.encode("utf-8"), entity.mqtt.retain
