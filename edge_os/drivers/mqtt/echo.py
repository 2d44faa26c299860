"""Whether a device's reported state shows that a command reached it.

Used before sending again a command whose PUBACK never came (the broker or edge-os died
first): if the device already reports what the command asked for, it got it, and
sending it again would only make it arrive twice. Devices that echo their state after a
command (Zigbee2MQTT, Tasmota, ESPHome, most MQTT lights and switches) show it:

- a JSON object command (``{"brightness": 51}``) is shown when the JSON state holds every
  one of its keys with the same value (``{"state": "ON", "brightness": 51, ...}``);
- a plain command (``heat``, ``21.5``, ``ON``) is shown when the entity's state, or the
  whole state payload, is the same text or number.

Absolute commands are what edge-os sends, so a state that already shows the command means
the device is where the command would have put it, whoever put it there.
"""

from __future__ import annotations

import json
import math
from typing import Any

from edge_os.devices.entity import Entity
from edge_os.drivers.mqtt.state import MAX_JSON_DEPTH, EntityState, json_depth


def comparable(topic: str, command_payload: bytes, state: EntityState, entity: Entity) -> bool:
    """Whether the entity's state can show this command at all.

    A JSON object command, when the state is a JSON object holding every key it sets
    (Zigbee2MQTT's ``{"brightness": 51}`` and its state); a plain command on the main
    command topic, when it and the state are both among the entity's command payloads or
    ON/OFF (Tasmota's ``POWER``, a thermostat's mode). A set point sent on a topic of its
    own while the state reports the mode is not: its state will never show it.
    """
    wanted = _json(command_payload)
    if isinstance(wanted, dict):
        have = _json(state.payload)
        return bool(wanted) and isinstance(have, dict) and all(key in have for key in wanted)
    if entity.mqtt is None or topic != entity.mqtt.command_topic:
        return False
    words = {"on", "off"} | {value.strip().casefold() for value in entity.mqtt.payloads.values()}
    try:
        text = command_payload.decode("utf-8").strip().casefold()
    except UnicodeDecodeError:
        return False
    return text in words and state.state.strip().casefold() in words


def shows(command_payload: bytes, state: EntityState) -> bool:
    """Whether ``state`` (as the device reported it) shows ``command_payload`` carried out."""
    wanted = _json(command_payload)
    if isinstance(wanted, dict):
        return bool(wanted) and _holds(_json(state.payload), wanted)
    try:
        text = command_payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False
    if not text:
        return False
    whole = state.payload.decode("utf-8", errors="replace").strip()
    return _same(state.state, text) or _same(whole, text)


def _json(payload: bytes) -> Any:
    try:
        text = payload.decode("utf-8")
        if json_depth(text) > MAX_JSON_DEPTH:
            return None
        return json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _holds(have: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(have, dict) and all(
            key in have and _holds(have[key], value) for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(have, list)
            and len(have) == len(wanted)
            and all(_holds(h, w) for h, w in zip(have, wanted, strict=True))
        )
    return _same(have, wanted)


def _same(have: Any, wanted: Any) -> bool:
    if isinstance(have, dict | list) or isinstance(wanted, dict | list):
        return False
    if have is None or wanted is None:
        return have is wanted
    left, right = _scalar(have), _scalar(wanted)
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=0.0, abs_tol=1e-6)
    return str(left).casefold() == str(right).casefold()


def _scalar(value: Any) -> float | str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text
