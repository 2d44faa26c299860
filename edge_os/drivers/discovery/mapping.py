"""From one Home Assistant MQTT discovery config to an edge-os entity.

Zigbee2MQTT, Tasmota and ESPHome announce their entities to Home Assistant as retained JSON
on ``<prefix>/<component>/[<node_id>/]<object_id>/config``. :func:`entity_from_discovery`
reads such a config (HA's keys, abbreviated or not, ``~`` expanded) for lights (default,
JSON and simple template schemas), switches, fans, covers, locks, climate devices, media
players and sensors, and returns an :class:`Imported`: an :class:`Entity` validated exactly
like a declared one, plus where the device reports its availability.

What is mapped: payloads and per-action topics; ``brightness_scale`` (100, 254 for
Zigbee2MQTT, 255); colour (sent as RGB) and colour temperature (mireds, or kelvin with
``color_temp_kelvin``) from ``supported_color_modes`` or the older flags; HA command
templates that only substitute a value (``{{ value }}``, ``{{ red }}``, ...); state from
``value_template: "{{ value_json.state }}"``-style templates. What cannot be mapped
faithfully (a scale of 1000, a template with logic) leaves that capability out rather than
send a wrong value. A config that cannot be driven at all raises
:class:`RejectedDiscoveryError` with the reason.

Spoken names come from the device name plus the entity name, the way Home Assistant names
them, with underscores turned into spaces and hardware ids (``0x00158d...``, MAC addresses)
left out: Zigbee2MQTT's ``kitchen_ceiling`` light is "Kitchen Ceiling".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from edge_os.devices.entity import Entity, validated_entity
from edge_os.devices.registry import DeviceRegistry, normalize_name
from edge_os.drivers.discovery.components import (
    MAPPERS,
    ComponentMapping,
    ConfigReader,
    RejectedDiscoveryError,
)

MAX_CONFIG_BYTES = 65536
"""Largest discovery config read (Zigbee2MQTT's biggest are a few kB)."""

ABBREVIATIONS = {
    "avty": "availability",
    "avty_mode": "availability_mode",
    "avty_t": "availability_topic",
    "avty_tpl": "availability_template",
    "bri_cmd_t": "brightness_command_topic",
    "bri_cmd_tpl": "brightness_command_template",
    "bri_scl": "brightness_scale",
    "clr_temp_cmd_t": "color_temp_command_topic",
    "clr_temp_cmd_tpl": "color_temp_command_template",
    "clr_temp_k": "color_temp_kelvin",
    "cmd_off_tpl": "command_off_template",
    "cmd_on_tpl": "command_on_template",
    "cmd_t": "command_topic",
    "cmd_tpl": "command_template",
    "cod_frm": "code_format",
    "dev": "device",
    "dev_cla": "device_class",
    "ent_cat": "entity_category",
    "mode_cmd_t": "mode_command_topic",
    "mode_cmd_tpl": "mode_command_template",
    "mode_stat_t": "mode_state_topic",
    "mode_stat_tpl": "mode_state_template",
    "obj_id": "object_id",
    "pct_cmd_t": "percentage_command_topic",
    "pct_cmd_tpl": "percentage_command_template",
    "pl_avail": "payload_available",
    "pl_not_avail": "payload_not_available",
    "pl_cls": "payload_close",
    "pl_lock": "payload_lock",
    "pl_off": "payload_off",
    "pl_on": "payload_on",
    "pl_open": "payload_open",
    "pl_stop": "payload_stop",
    "pl_unlk": "payload_unlock",
    "pos_clsd": "position_closed",
    "pos_open": "position_open",
    "pow_cmd_t": "power_command_topic",
    "rgb_cmd_t": "rgb_command_topic",
    "rgb_cmd_tpl": "rgb_command_template",
    "set_pos_t": "set_position_topic",
    "set_pos_tpl": "set_position_template",
    "spd_rng_max": "speed_range_max",
    "spd_rng_min": "speed_range_min",
    "stat_t": "state_topic",
    "stat_val_tpl": "state_value_template",
    "sup_clrm": "supported_color_modes",
    "t": "topic",
    "temp_cmd_t": "temperature_command_topic",
    "temp_cmd_tpl": "temperature_command_template",
    "uniq_id": "unique_id",
    "val_tpl": "value_template",
    "ids": "identifiers",
    "sa": "suggested_area",
}
"""Home Assistant's abbreviations for the keys edge-os reads (also inside ``device`` and
``availability``)."""

STATE_TEMPLATE = re.compile(
    r"^\{\{-?\s*value_json(?:\.([A-Za-z0-9_]+)|\[\s*['\"]([^'\"]+)['\"]\s*\])\s*-?\}\}$"
)
RAW_TEMPLATE = re.compile(r"^\{\{-?\s*value\s*-?\}\}$")
HARDWARE_ID = re.compile(
    r"^(0x[0-9a-f]+|(?=[0-9a-f]*\d)[0-9a-f]{8,}|([0-9a-f]{2}[:-]){5}[0-9a-f]{2})$", re.IGNORECASE
)


@dataclass(frozen=True)
class AvailabilitySource:
    """One topic on which a device says whether it is reachable."""

    topic: str
    available: str = "online"
    not_available: str = "offline"
    key: str | None = None
    """Key of the value in a JSON payload (Zigbee2MQTT: ``state``); None: the raw payload."""


@dataclass(frozen=True)
class Availability:
    """Where and how an imported entity reports availability (HA's ``availability_mode``)."""

    sources: tuple[AvailabilitySource, ...] = ()
    mode: Literal["all", "any", "latest"] = "latest"


@dataclass(frozen=True)
class Imported:
    """An entity read from a discovery config."""

    entity: Entity
    availability: Availability = Availability()
    unique_id: str | None = None
    skipped: tuple[str, ...] = ()
    """Features announced but left out (and why), for the log."""


def load_config_payload(payload: bytes) -> dict[str, Any]:
    """A discovery payload as a JSON object (bounded in size; never raises anything else)."""
    if len(payload) > MAX_CONFIG_BYTES:
        raise RejectedDiscoveryError(f"{len(payload)} bytes, more than {MAX_CONFIG_BYTES}")
    try:
        raw = json.loads(payload.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise RejectedDiscoveryError("not UTF-8") from None
    except json.JSONDecodeError as err:
        raise RejectedDiscoveryError(f"not JSON ({err.msg} at character {err.pos})") from None
    except RecursionError:
        raise RejectedDiscoveryError("JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise RejectedDiscoveryError(f"expected a JSON object, got {type(raw).__name__}")
    return raw


def _no_constant(name: str) -> Any:
    raise RejectedDiscoveryError(f"{name} is not a number edge-os takes")


def _expand(config: Mapping[str, Any], base: object = None) -> dict[str, Any]:
    """Long key names, and ``~`` (this object's, else ``base``) replaced in topics."""
    data = {ABBREVIATIONS.get(key, key): value for key, value in config.items()}
    tilde = data.pop("~", base)
    if isinstance(tilde, str):
        for key, value in data.items():
            if (key.endswith("_topic") or key == "topic") and isinstance(value, str):
                if value.startswith("~"):
                    data[key] = tilde + value[1:]
                elif value.endswith("~"):
                    data[key] = value[:-1] + tilde
    if isinstance(data.get("availability"), list):
        data["availability"] = [
            _expand(item, tilde) if isinstance(item, dict) else item
            for item in data["availability"]
        ]
    return data


def _state_key(mapping: ComponentMapping) -> None:
    """``state_key`` from a ``{{ value_json.X }}`` template; a template with logic: no state."""
    template = mapping.state_template
    if template is None or mapping.state_key is not None:
        return
    text = template.strip()
    if RAW_TEMPLATE.match(text):
        return
    match = STATE_TEMPLATE.match(text)
    if match is not None:
        mapping.state_key = match.group(1) or match.group(2)
        return
    mapping.skipped.append(f"state template {template!r} (only value_json.KEY is read)")
    mapping.state_topic = None


def humanize(text: str) -> str:
    """A name as said: underscores to spaces, hardware ids dropped, all-lower-case titled."""
    words = [word for word in text.replace("_", " ").split() if not HARDWARE_ID.match(word)]
    spoken = " ".join(words)
    if spoken and spoken == spoken.lower():
        spoken = " ".join(word[:1].upper() + word[1:] for word in words)
    return spoken


def spoken_name(reader: ConfigReader, device: ConfigReader, object_id: str) -> str:
    """Device name plus entity name, as Home Assistant shows it, said aloud."""
    device_name = humanize(device.text("name") or "")
    entity_name = humanize(reader.text("name") or "") if "name" in reader.data else None
    if entity_name is None:  # no name key: HA would say "MQTT Light"; the device says more
        name = device_name or humanize(object_id)
    elif not entity_name:  # name: null is the device itself
        name = device_name
    elif device_name and not normalize_name(entity_name).startswith(normalize_name(device_name)):
        name = f"{device_name} {entity_name}"
    else:
        name = entity_name
    if not name:
        raise RejectedDiscoveryError("no name to say (only ids)")
    return name


def _slug(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text.lower())).strip("_")


def _area(suggested: str | None, areas: DeviceRegistry | None) -> str | None:
    if areas is None or suggested is None:
        return None
    wanted = normalize_name(suggested)
    for area in areas.areas:
        if wanted in {normalize_name(name) for name in (area.id, area.name, *area.aliases)}:
            return area.id
    return None


def _availability(reader: ConfigReader) -> Availability:
    sources: list[AvailabilitySource] = []
    items = reader.data.get("availability")
    if items is not None and not isinstance(items, list):
        raise RejectedDiscoveryError("availability: expected a list")
    if reader.has("availability_topic"):
        single = {
            "topic": reader.data["availability_topic"],
            "payload_available": reader.data.get("payload_available"),
            "payload_not_available": reader.data.get("payload_not_available"),
            "value_template": reader.data.get("availability_template"),
        }
        items = [single, *(items or [])]
    for item in items or []:
        if not isinstance(item, dict):
            raise RejectedDiscoveryError("availability: expected a list of objects")
        entry = ConfigReader(item)
        topic = entry.text("topic")
        if not topic or "+" in topic or "#" in topic:
            raise RejectedDiscoveryError(f"availability topic {topic!r} is not a topic")
        template = entry.text("value_template")
        key = None
        if template is not None:
            match = STATE_TEMPLATE.match(template.strip())
            if match is None and not RAW_TEMPLATE.match(template.strip()):
                continue  # cannot read it: the entity is treated as always reachable
            key = match.group(1) or match.group(2) if match else None
        sources.append(
            AvailabilitySource(
                topic,
                entry.payload("payload_available", "online"),
                entry.payload("payload_not_available", "offline"),
                key,
            )
        )
    mode = reader.text("availability_mode", "latest")
    if mode not in ("all", "any", "latest"):
        raise RejectedDiscoveryError(f"availability_mode {mode!r} (expected all, any or latest)")
    return Availability(tuple(sources), mode)  # type: ignore[arg-type]


def entity_from_discovery(
    component: str,
    object_id: str,
    payload: bytes | dict[str, Any],
    areas: DeviceRegistry | None = None,
) -> Imported:
    """The entity a discovery config describes, validated like a declared one."""
    if component not in MAPPERS:
        raise RejectedDiscoveryError(f"{component} entities are not imported")
    raw = payload if isinstance(payload, dict) else load_config_payload(payload)
    reader = ConfigReader(_expand(raw))
    device_data = reader.data.get("device")
    if device_data is not None and not isinstance(device_data, dict):
        raise RejectedDiscoveryError("device: expected an object")
    device = ConfigReader(_expand(device_data or {}))
    mapping = ComponentMapping()
    MAPPERS[component](reader, mapping)
    _state_key(mapping)
    name = spoken_name(reader, device, object_id)
    own_id = reader.text("object_id")
    fields = {
        "id": f"{component}.{_slug(own_id or '') or _slug(name) or _slug(object_id)}",
        "name": name,
        "area": _area(device.text("suggested_area"), areas),
        "device_class": reader.text("device_class"),
        "capabilities": mapping.capabilities,
        "mqtt": {
            "command_topic": mapping.command_topic,
            "state_topic": mapping.state_topic,
            "state_key": mapping.state_key,
            "payloads": mapping.payloads,
            "topics": mapping.topics,
        },
    }
    try:
        entity = validated_entity(fields)
    except ValueError as err:
        raise RejectedDiscoveryError(str(err)) from None
    return Imported(
        entity,
        _availability(reader),
        unique_id=reader.text("unique_id"),
        skipped=tuple(mapping.skipped),
    )
