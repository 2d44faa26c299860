"""How each discovery component's config becomes payloads, topics and capabilities.

One mapper per Home Assistant MQTT platform edge-os imports (light in its default, JSON and
template schemas, switch, fan, cover, lock, climate, media player, sensor). Each reads the
expanded config through :class:`ConfigReader` (a wrong type is a rejection, never a crash)
and fills a :class:`ComponentMapping`; what cannot be sent faithfully (a scale edge-os has
no placeholder for, a template with logic) is left out and noted in ``skipped``.
:mod:`edge_os.drivers.discovery.mapping` turns the mapping into an entity.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from edge_os.devices.entity import Action

BRIGHTNESS_PLACEHOLDERS = {100: "brightness", 254: "brightness_254", 255: "brightness_255"}
"""``brightness_scale`` -> the payload placeholder that has that scale."""
COLOR_MODES = frozenset({"hs", "xy", "rgb", "rgbw", "rgbww"})
EXPRESSION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


class RejectedDiscoveryError(ValueError):
    """An announced config edge-os cannot or will not use; the message says why."""


class ConfigReader:
    """Typed access to an expanded config: a wrong type is a rejection, never a crash."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, key: str) -> bool:
        """Whether ``key`` is given (and not null)."""
        return self.data.get(key) is not None

    def text(self, key: str, default: str | None = None) -> str | None:
        """A string (topic, name, template), or ``default`` when not given."""
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            raise RejectedDiscoveryError(f"{key}: expected text, got {type(value).__name__}")
        return value

    def payload(self, key: str, default: str) -> str:
        """A payload to send: text, or a number written as text."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise RejectedDiscoveryError(f"{key}: expected text, got {type(value).__name__}")
        return str(value)

    def number(self, key: str, default: float) -> float:
        """A finite number, or ``default`` when not given."""
        value = self.data.get(key)
        if value is None:
            return float(default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RejectedDiscoveryError(f"{key}: expected a number, got {value!r:.40}")
        if not math.isfinite(value):
            raise RejectedDiscoveryError(f"{key}: expected a finite number")
        return float(value)

    def flag(self, key: str) -> bool:
        """A boolean, false when not given."""
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            raise RejectedDiscoveryError(f"{key}: expected true or false, got {value!r:.40}")
        return value

    def strings(self, key: str) -> list[str]:
        """A list of strings, empty when not given."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise RejectedDiscoveryError(f"{key}: expected a list of strings")
        return list(value)


@dataclass
class ComponentMapping:
    """What a component's mapper fills in."""

    command_topic: str | None = None
    state_topic: str | None = None
    state_template: str | None = None
    state_key: str | None = None
    capabilities: list[str] = field(default_factory=list)
    payloads: dict[Action, str] = field(default_factory=dict)
    topics: dict[Action, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


class UntranslatableTemplateError(ValueError):
    """A Home Assistant template that does more than substitute values."""


def translate_template(template: str, variables: Mapping[str, str]) -> str:
    """A Home Assistant (Jinja) command template as an edge-os payload template.

    ``variables`` maps HA's variable names to what replaces them: an edge-os placeholder
    (``"{{ brightness_255 }}"``) or literal text. Only plain substitution is translated
    (optionally through ``| int`` or ``| string``); logic raises
    :class:`UntranslatableTemplateError`.
    """
    if "{%" in template or "{#" in template:
        raise UntranslatableTemplateError(template)

    def replace(match: re.Match[str]) -> str:
        name, *filters = (part.strip() for part in match.group(1).split("|"))
        if name not in variables or any(f not in ("int", "string") for f in filters):
            raise UntranslatableTemplateError(template)
        return variables[name]

    translated = EXPRESSION.sub(replace, template)
    if "{{" in EXPRESSION.sub("", template) or "}}" in EXPRESSION.sub("", template):
        raise UntranslatableTemplateError(template)
    return translated


def _templated(
    reader: ConfigReader,
    key: str,
    variables: Mapping[str, str],
    default: str,
    mapping: ComponentMapping,
) -> str | None:
    """The payload template from HA's ``key`` template, ``default`` without one; None if
    it cannot be translated (noted in ``mapping.skipped``)."""
    template = reader.text(key)
    if template is None:
        return default
    try:
        return translate_template(template, variables)
    except UntranslatableTemplateError:
        mapping.skipped.append(f"{key} {template!r} does more than substitute a value")
        return None


def _state(reader: ConfigReader, mapping: ComponentMapping, *template_keys: str) -> None:
    mapping.state_topic = reader.text("state_topic")
    for key in template_keys:
        template = reader.text(key)
        if template is not None:
            mapping.state_template = template
            break


def _on_off(reader: ConfigReader, mapping: ComponentMapping) -> None:
    mapping.command_topic = reader.text("command_topic")
    mapping.payloads[Action.TURN_ON] = reader.payload("payload_on", "ON")
    mapping.payloads[Action.TURN_OFF] = reader.payload("payload_off", "OFF")


def _brightness_placeholder(reader: ConfigReader, mapping: ComponentMapping) -> str | None:
    scale = reader.number("brightness_scale", 255)
    placeholder = BRIGHTNESS_PLACEHOLDERS.get(int(scale)) if scale.is_integer() else None
    if placeholder is None:
        mapping.skipped.append(f"brightness_scale {scale:g} (edge-os sends 100, 254 or 255)")
    return placeholder


def _light(reader: ConfigReader, mapping: ComponentMapping) -> None:
    schema = reader.text("schema", "default")
    if schema == "json":
        _json_light(reader, mapping)
    elif schema == "template":
        _template_light(reader, mapping)
    elif schema in ("default", "basic"):
        _default_light(reader, mapping)
    else:
        raise RejectedDiscoveryError(f"unknown light schema {schema!r}")


def _default_light(reader: ConfigReader, mapping: ComponentMapping) -> None:
    _on_off(reader, mapping)
    _state(reader, mapping, "state_value_template", "value_template")
    kelvin = reader.flag("color_temp_kelvin")
    features = (
        ("brightness", Action.SET_BRIGHTNESS, "brightness_command_topic"),
        ("color_temp", Action.SET_COLOR_TEMP, "color_temp_command_topic"),
        ("color", Action.SET_COLOR, "rgb_command_topic"),
    )
    for capability, action, topic_key in features:
        topic = reader.text(topic_key)
        if topic is None:
            continue
        if capability == "brightness":
            placeholder = _brightness_placeholder(reader, mapping)
            if placeholder is None:
                continue
            variables = {"value": f"{{{{ {placeholder} }}}}"}
            payload = _templated(
                reader, "brightness_command_template", variables, variables["value"], mapping
            )
        elif capability == "color_temp":
            variables = {"value": "{{ kelvin }}" if kelvin else "{{ mireds }}"}
            payload = _templated(
                reader, "color_temp_command_template", variables, variables["value"], mapping
            )
        else:
            variables = {"red": "{{ r }}", "green": "{{ g }}", "blue": "{{ b }}"}
            default = "{{ r }},{{ g }},{{ b }}"
            payload = _templated(reader, "rgb_command_template", variables, default, mapping)
        if payload is not None:
            mapping.capabilities.append(capability)
            mapping.topics[action] = topic
            mapping.payloads[action] = payload
    if "color" not in mapping.capabilities and (
        reader.has("hs_command_topic") or reader.has("xy_command_topic")
    ):
        mapping.skipped.append("colour over hs/xy topics (edge-os sends RGB)")


def _json_light(reader: ConfigReader, mapping: ComponentMapping) -> None:
    mapping.command_topic = reader.text("command_topic")
    mapping.state_topic = reader.text("state_topic")
    mapping.state_key = "state"
    mapping.payloads[Action.TURN_ON] = '{"state": "ON"}'
    mapping.payloads[Action.TURN_OFF] = '{"state": "OFF"}'
    modes = set(reader.strings("supported_color_modes"))
    dimmable = reader.flag("brightness") or bool(modes - {"onoff"})
    if dimmable:
        placeholder = _brightness_placeholder(reader, mapping)
        if placeholder is not None:
            mapping.capabilities.append("brightness")
            mapping.payloads[Action.SET_BRIGHTNESS] = (
                f'{{"state": "ON", "brightness": {{{{ {placeholder} }}}}}}'
            )
    if "color_temp" in modes or reader.flag("color_temp"):
        unit = "kelvin" if reader.flag("color_temp_kelvin") else "mireds"
        mapping.capabilities.append("color_temp")
        mapping.payloads[Action.SET_COLOR_TEMP] = (
            f'{{"state": "ON", "color_temp": {{{{ {unit} }}}}}}'
        )
    if modes & COLOR_MODES or any(reader.flag(flag) for flag in ("rgb", "hs", "xy")):
        mapping.capabilities.append("color")
        mapping.payloads[Action.SET_COLOR] = (
            '{"state": "ON", "color": {"r": {{ r }}, "g": {{ g }}, "b": {{ b }}}}'
        )


def _template_light(reader: ConfigReader, mapping: ComponentMapping) -> None:
    mapping.command_topic = reader.text("command_topic")
    _state(reader, mapping, "state_template")
    for action, key, state in (
        (Action.TURN_ON, "command_on_template", "on"),
        (Action.TURN_OFF, "command_off_template", "off"),
    ):
        template = reader.text(key)
        if template is None:
            raise RejectedDiscoveryError(f"a template light needs {key}")
        try:
            mapping.payloads[action] = translate_template(template, {"state": state})
        except UntranslatableTemplateError:
            raise RejectedDiscoveryError(f"{key} {template!r} does more than substitute") from None


def _switch(reader: ConfigReader, mapping: ComponentMapping) -> None:
    _on_off(reader, mapping)
    _state(reader, mapping, "value_template")


def _fan(reader: ConfigReader, mapping: ComponentMapping) -> None:
    _on_off(reader, mapping)
    _state(reader, mapping, "state_value_template", "value_template")
    topic = reader.text("percentage_command_topic")
    if topic is None:
        return
    low, high = reader.number("speed_range_min", 1), reader.number("speed_range_max", 100)
    if (low, high) != (1, 100):
        mapping.skipped.append(f"speed range {low:g}-{high:g} (edge-os sends 0-100)")
        return
    variables = {"value": "{{ percentage }}"}
    payload = _templated(
        reader, "percentage_command_template", variables, variables["value"], mapping
    )
    if payload is not None:
        mapping.capabilities.append("percentage")
        mapping.topics[Action.SET_PERCENTAGE] = topic
        mapping.payloads[Action.SET_PERCENTAGE] = payload


def _cover(reader: ConfigReader, mapping: ComponentMapping) -> None:
    mapping.command_topic = reader.text("command_topic")
    _state(reader, mapping, "value_template")
    mapping.payloads[Action.OPEN] = reader.payload("payload_open", "OPEN")
    mapping.payloads[Action.CLOSE] = reader.payload("payload_close", "CLOSE")
    mapping.payloads[Action.STOP] = reader.payload("payload_stop", "STOP")
    topic = reader.text("set_position_topic")
    if topic is None:
        return
    scale = (reader.number("position_closed", 0), reader.number("position_open", 100))
    if scale != (0, 100):
        mapping.skipped.append(f"position range {scale[0]:g}-{scale[1]:g} (edge-os sends 0-100)")
        return
    variables = {"position": "{{ position }}", "value": "{{ position }}"}
    payload = _templated(reader, "set_position_template", variables, "{{ position }}", mapping)
    if payload is not None:
        mapping.capabilities.append("position")
        mapping.topics[Action.SET_POSITION] = topic
        mapping.payloads[Action.SET_POSITION] = payload


def _lock(reader: ConfigReader, mapping: ComponentMapping) -> None:
    if reader.has("code_format"):
        raise RejectedDiscoveryError(
            "the lock needs a code (code_format), which edge-os cannot give"
        )
    mapping.command_topic = reader.text("command_topic")
    _state(reader, mapping, "value_template")
    for action, key, default in (
        (Action.LOCK, "payload_lock", "LOCK"),
        (Action.UNLOCK, "payload_unlock", "UNLOCK"),
    ):
        value = reader.payload(key, default)
        payload = _templated(reader, "command_template", {"value": value}, value, mapping)
        if payload is None:
            raise RejectedDiscoveryError("its command_template does more than substitute")
        mapping.payloads[action] = payload


def _climate(reader: ConfigReader, mapping: ComponentMapping) -> None:
    power = reader.text("power_command_topic")
    modes = reader.strings("modes") or ["auto", "off", "cool", "heat", "dry", "fan_only"]
    if power is not None:
        mapping.command_topic = power
        mapping.payloads[Action.TURN_ON] = reader.payload("payload_on", "ON")
        mapping.payloads[Action.TURN_OFF] = reader.payload("payload_off", "OFF")
    elif reader.has("mode_command_topic") and "off" in modes:
        mapping.command_topic = reader.text("mode_command_topic")
        on = next((m for m in ("heat", "heat_cool", "auto", "cool") if m in modes), None)
        if on is None:
            raise RejectedDiscoveryError(f"no mode to turn it on with among {modes}")
        for action, value in ((Action.TURN_ON, on), (Action.TURN_OFF, "off")):
            payload = _templated(reader, "mode_command_template", {"value": value}, value, mapping)
            if payload is None:
                raise RejectedDiscoveryError("its mode_command_template does more than substitute")
            mapping.payloads[action] = payload
    else:
        raise RejectedDiscoveryError(
            "a climate device needs power_command_topic, or mode_command_topic with an 'off' mode"
        )
    mapping.state_topic = reader.text("mode_state_topic")
    mapping.state_template = reader.text("mode_state_template")
    topic = reader.text("temperature_command_topic")
    if topic is not None:
        variables = {"value": "{{ temperature }}"}
        payload = _templated(
            reader, "temperature_command_template", variables, variables["value"], mapping
        )
        if payload is not None:
            mapping.capabilities.append("temperature")
            mapping.topics[Action.SET_TEMPERATURE] = topic
            mapping.payloads[Action.SET_TEMPERATURE] = payload


def _media_player(reader: ConfigReader, mapping: ComponentMapping) -> None:
    _on_off(reader, mapping)
    _state(reader, mapping, "value_template")
    topic = reader.text("volume_command_topic")
    if topic is not None:
        variables = {"value": "{{ volume }}"}
        payload = _templated(
            reader, "volume_command_template", variables, variables["value"], mapping
        )
        if payload is not None:
            mapping.capabilities.append("volume")
            mapping.topics[Action.SET_VOLUME] = topic
            mapping.payloads[Action.SET_VOLUME] = payload
            mapping.payloads[Action.VOLUME_UP] = reader.payload("payload_volume_up", "VOLUME_UP")
            mapping.payloads[Action.VOLUME_DOWN] = reader.payload(
                "payload_volume_down", "VOLUME_DOWN"
            )
    optional = (
        (
            "pause",
            ((Action.PAUSE, "payload_pause", "PAUSE"), (Action.RESUME, "payload_play", "PLAY")),
        ),
        (
            "tracks",
            (
                (Action.NEXT, "payload_next", "NEXT"),
                (Action.PREVIOUS, "payload_previous", "PREVIOUS"),
            ),
        ),
        (
            "mute",
            ((Action.MUTE, "payload_mute", "MUTE"), (Action.UNMUTE, "payload_unmute", "UNMUTE")),
        ),
    )
    for capability, actions in optional:
        if all(reader.has(key) for _, key, _ in actions):
            mapping.capabilities.append(capability)
            for action, key, default in actions:
                mapping.payloads[action] = reader.payload(key, default)


def _sensor(reader: ConfigReader, mapping: ComponentMapping) -> None:
    category = reader.text("entity_category")
    if category in ("diagnostic", "config"):
        raise RejectedDiscoveryError(f"a {category} entity (not for the voice)")
    _state(reader, mapping, "value_template")


MAPPERS: dict[str, Callable[[ConfigReader, ComponentMapping], None]] = {
    "light": _light,
    "switch": _switch,
    "fan": _fan,
    "cover": _cover,
    "lock": _lock,
    "climate": _climate,
    "media_player": _media_player,
    "sensor": _sensor,
    "binary_sensor": _sensor,
}
"""Discovery component -> its mapper."""
COMPONENTS = tuple(MAPPERS)
"""Discovery components edge-os imports."""
