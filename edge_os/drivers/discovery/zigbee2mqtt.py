"""Entities from a Zigbee2MQTT ``bridge/devices`` list (what Zigbee2MQTT retains there).

Each device's ``definition.exposes`` says what it is: a ``light`` (with ``brightness``,
``color_temp``, ``color_xy``/``color_hs`` features), a ``switch``, a ``lock``, a ``cover``
(with ``position``), or plain properties (``contact``, ``occupancy``, ``water_leak``,
``temperature``, ``humidity``) read as sensors. Commands go to
``<base>/<friendly_name>/set`` as JSON, and the state is read from ``<base>/<friendly_name>``,
as Zigbee2MQTT does. A device with several endpoints (``state_l1``, ``state_l2``) gives one
entity per endpoint. The coordinator, unsupported or disabled devices and what cannot be
read are skipped, each with a reason.

Every entity is validated like one written in the config file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from edge_os.devices.entity import Entity, validated_entity

MAX_DUMP_BYTES = 8 * 1024 * 1024
"""Largest bridge/devices document read (a few hundred devices are well under 1 MB)."""
_BINARY = {"contact": "door", "occupancy": "occupancy", "water_leak": "moisture"}
"""Binary properties read as binary sensors, with Home Assistant's device class."""
_NUMERIC = {"temperature": "temperature", "humidity": "humidity"}


@dataclass
class Z2mImport:
    """What a bridge/devices list gives: entities, and what was skipped and why."""

    entities: list[Entity] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(device, reason)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _spoken(friendly_name: str) -> str:
    words = re.sub(r"[_/]+", " ", friendly_name).strip()
    return words[:1].upper() + words[1:]


def _features(expose: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        str(f.get("name")): f
        for f in expose.get("features") or []
        if isinstance(f, Mapping) and f.get("name")
    }


def _state_prop(features: Mapping[str, Mapping[str, Any]]) -> tuple[str, str, str]:
    state = features.get("state") or {}
    prop = str(state.get("property") or "state")
    return prop, str(state.get("value_on", "ON")), str(state.get("value_off", "OFF"))


def _on_off(prop: str, on: str, off: str) -> dict[str, str]:
    return {
        "turn_on": json.dumps({prop: on}),
        "turn_off": json.dumps({prop: off}),
    }


def _light(expose: Mapping[str, Any]) -> dict[str, Any]:
    features = _features(expose)
    prop, on, off = _state_prop(features)
    payloads = _on_off(prop, on, off)
    capabilities = []
    if "brightness" in features:
        capabilities.append("brightness")
        payloads["set_brightness"] = f'{{"{prop}": "{on}", "brightness": {{{{ brightness_254 }}}}}}'
    if "color_temp" in features:
        capabilities.append("color_temp")
        payloads["set_color_temp"] = '{"color_temp": {{ mireds }}}'
    if "color_xy" in features or "color_hs" in features:
        capabilities.append("color")
        payloads["set_color"] = '{"color": {"hex": "{{ hex }}"}}'
    return {"domain": "light", "state_key": prop, "payloads": payloads,
            "capabilities": capabilities}  # fmt: skip


def _switch(expose: Mapping[str, Any]) -> dict[str, Any]:
    prop, on, off = _state_prop(_features(expose))
    return {"domain": "switch", "state_key": prop, "payloads": _on_off(prop, on, off)}


def _lock(expose: Mapping[str, Any]) -> dict[str, Any]:
    features = _features(expose)
    state = features.get("state") or {}
    prop = str(state.get("property") or "state")
    lock, unlock = str(state.get("value_on", "LOCK")), str(state.get("value_off", "UNLOCK"))
    payloads = {"lock": json.dumps({prop: lock}), "unlock": json.dumps({prop: unlock})}
    return {"domain": "lock", "state_key": prop, "payloads": payloads}


def _cover(expose: Mapping[str, Any]) -> dict[str, Any]:
    features = _features(expose)
    payloads = {
        "open": '{"state": "OPEN"}',
        "close": '{"state": "CLOSE"}',
        "stop": '{"state": "STOP"}',
    }
    capabilities = []
    if "position" in features:
        capabilities.append("position")
        payloads["set_position"] = '{"position": {{ position }}}'
    return {"domain": "cover", "state_key": "state", "payloads": payloads,
            "capabilities": capabilities}  # fmt: skip


_SPECIFIC = {"light": _light, "switch": _switch, "lock": _lock, "cover": _cover}


def _kinds(exposes: list[Any]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """(endpoint, fields) for each thing a device exposes that edge-os can use."""
    for expose in exposes:
        if not isinstance(expose, Mapping):
            continue
        kind = str(expose.get("type"))
        if kind in _SPECIFIC:
            yield expose.get("endpoint"), _SPECIFIC[kind](expose)
            continue
        prop = str(expose.get("property") or expose.get("name") or "")
        if kind == "binary" and prop in _BINARY:
            yield None, {"domain": "binary_sensor", "state_key": prop,
                         "device_class": _BINARY[prop], "suffix": prop}  # fmt: skip
        elif kind == "numeric" and prop in _NUMERIC:
            yield None, {"domain": "sensor", "state_key": prop,
                         "device_class": _NUMERIC[prop], "suffix": prop}  # fmt: skip


def entities_from_bridge_devices(
    data: Any, *, base_topic: str = "zigbee2mqtt", area: str | None = None
) -> Z2mImport:
    """The entities of a parsed ``bridge/devices`` list (see the module)."""
    found = Z2mImport()
    if not isinstance(data, list):
        found.skipped.append(("(the file)", "expected the list zigbee2mqtt/bridge/devices holds"))
        return found
    for device in data:
        if not isinstance(device, Mapping):
            continue
        friendly = str(device.get("friendly_name") or device.get("ieee_address") or "")
        if device.get("type") == "Coordinator":
            continue
        if not friendly:
            found.skipped.append(("(unnamed)", "no friendly_name"))
            continue
        if device.get("disabled"):
            found.skipped.append((friendly, "disabled in Zigbee2MQTT"))
            continue
        definition = device.get("definition")
        exposes = definition.get("exposes") if isinstance(definition, Mapping) else None
        if not isinstance(exposes, list):
            found.skipped.append((friendly, "not supported by Zigbee2MQTT (no definition)"))
            continue
        kinds = list(_kinds(exposes))
        if not kinds:
            found.skipped.append((friendly, "exposes nothing edge-os drives or reads"))
            continue
        for endpoint, fields in kinds:
            try:
                found.entities.append(_entity(friendly, endpoint, fields, base_topic, area))
            except ValueError as err:
                found.skipped.append((friendly, str(err)))
    return found


def _entity(
    friendly: str, endpoint: Any, fields: dict[str, Any], base_topic: str, area: str | None
) -> Entity:
    suffix = str(endpoint or fields.pop("suffix", "") or "")
    domain = fields.pop("domain")
    name = _spoken(friendly) + (f" {suffix.replace('_', ' ')}" if suffix else "")
    object_id = _slug(friendly) + (f"_{_slug(suffix)}" if suffix else "")
    mqtt: dict[str, Any] = {
        "state_topic": f"{base_topic}/{friendly}",
        "state_key": fields.pop("state_key"),
    }
    if "payloads" in fields:
        mqtt["command_topic"] = f"{base_topic}/{friendly}/set"
        mqtt["payloads"] = fields.pop("payloads")
    raw = {"id": f"{domain}.{object_id}", "name": name, "area": area, "mqtt": mqtt, **fields}
    return validated_entity(raw)
