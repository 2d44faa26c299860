"""Import entities other devices announce via Home Assistant MQTT discovery (opt-in).

An announced config becomes an :class:`Entity` only if it passes the same validation as a
declared one (the pydantic model and :func:`entity_problems`); anything else is logged
and ignored. Declared entities always win over imported ones with the same id.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from edge_os.action.connection import MqttConnection
from edge_os.action.discovery import DiscoveryPublisher, node_id
from edge_os.config.settings import Config
from edge_os.devices.entity import Action, Entity, entity_problems
from edge_os.devices.registry import DeviceRegistry, normalize_name

_LOGGER = logging.getLogger(__name__)

ABBREVIATIONS = {
    "cmd_t": "command_topic",
    "stat_t": "state_topic",
    "uniq_id": "unique_id",
    "obj_id": "object_id",
    "pl_on": "payload_on",
    "pl_off": "payload_off",
    "pl_open": "payload_open",
    "pl_cls": "payload_close",
    "pl_stop": "payload_stop",
    "pl_lock": "payload_lock",
    "pl_unlk": "payload_unlock",
    "bri_cmd_t": "brightness_command_topic",
    "bri_scl": "brightness_scale",
    "pct_cmd_t": "percentage_command_topic",
    "set_pos_t": "set_position_topic",
    "dev_cla": "device_class",
    "val_tpl": "value_template",
    "dev": "device",
    "sa": "suggested_area",
}
"""Home Assistant's abbreviations for the keys edge-os reads."""
SUPPORTED = ("light", "switch", "fan", "cover", "lock", "sensor", "binary_sensor")
VALUE_JSON = re.compile(r"^\{\{\s*value_json\.([A-Za-z0-9_]+)\s*\}\}$")

EntityListener = Callable[[Entity], None]


class RejectedDiscoveryError(ValueError):
    """An announced config edge-os cannot or will not use."""


def _expand(config: dict[str, Any]) -> dict[str, Any]:
    data = {ABBREVIATIONS.get(key, key): value for key, value in config.items()}
    base = data.pop("~", None)
    if isinstance(base, str):
        for key, value in data.items():
            if key.endswith("_topic") and isinstance(value, str):
                if value.startswith("~"):
                    data[key] = base + value[1:]
                elif value.endswith("~"):
                    data[key] = value[:-1] + base
    return data


def _slug(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text.lower())).strip("_")


def _area(suggested: object, areas: DeviceRegistry | None) -> str | None:
    if areas is None or not isinstance(suggested, str):
        return None
    wanted = normalize_name(suggested)
    for area in areas.areas:
        if wanted in {normalize_name(name) for name in (area.id, area.name, *area.aliases)}:
            return area.id
    return None


def _actions(
    component: str, data: dict[str, Any], mqtt: dict[str, Any]
) -> tuple[list[str], dict[Action, str | None]]:
    """Capabilities and payload templates of an announced entity; fills topic overrides."""
    capabilities: list[str] = []
    payloads: dict[Action, str | None] = {}
    if component in ("light", "switch", "fan"):
        if data.get("schema") == "json":
            mqtt["state_key"] = "state"
            payloads = {Action.TURN_ON: '{"state": "ON"}', Action.TURN_OFF: '{"state": "OFF"}'}
            if data.get("brightness"):
                capabilities.append("brightness")
                payloads[Action.SET_BRIGHTNESS] = (
                    '{"state": "ON", "brightness": {{ brightness_255 }}}'
                )
            return capabilities, payloads
        payloads = {
            Action.TURN_ON: data.get("payload_on"),
            Action.TURN_OFF: data.get("payload_off"),
        }
        if component == "light" and data.get("brightness_command_topic"):
            capabilities.append("brightness")
            mqtt["topics"][Action.SET_BRIGHTNESS] = data["brightness_command_topic"]
            scale = data.get("brightness_scale", 255)
            payloads[Action.SET_BRIGHTNESS] = (
                "{{ brightness }}" if scale == 100 else "{{ brightness_255 }}"
            )
        if component == "fan" and data.get("percentage_command_topic"):
            capabilities.append("percentage")
            mqtt["topics"][Action.SET_PERCENTAGE] = data["percentage_command_topic"]
    elif component == "cover":
        payloads = {
            Action.OPEN: data.get("payload_open"),
            Action.CLOSE: data.get("payload_close"),
            Action.STOP: data.get("payload_stop"),
        }
        if data.get("set_position_topic"):
            capabilities.append("position")
            mqtt["topics"][Action.SET_POSITION] = data["set_position_topic"]
    elif component == "lock":
        payloads = {
            Action.LOCK: data.get("payload_lock"),
            Action.UNLOCK: data.get("payload_unlock"),
        }
    return capabilities, payloads


def entity_from_discovery(
    component: str, object_id: str, payload: bytes, areas: DeviceRegistry | None = None
) -> Entity:
    """The entity a discovery config describes, validated like a declared one."""
    if component not in SUPPORTED:
        raise RejectedDiscoveryError(f"{component} entities are not supported")
    try:
        raw = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise RejectedDiscoveryError(f"not JSON: {err}") from None
    if not isinstance(raw, dict):
        raise RejectedDiscoveryError("expected a JSON object")
    data = _expand(raw)
    device = data.get("device") if isinstance(data.get("device"), dict) else {}
    device = _expand(device) if isinstance(device, dict) else {}
    name = data.get("name") or device.get("name") or object_id.replace("_", " ")
    mqtt: dict[str, Any] = {
        "command_topic": data.get("command_topic"),
        "state_topic": data.get("state_topic"),
        "payloads": {},
        "topics": {},
    }
    template = data.get("value_template")
    if isinstance(template, str) and (match := VALUE_JSON.match(template.strip())):
        mqtt["state_key"] = match.group(1)
    capabilities, payloads = _actions(component, data, mqtt)
    mqtt["payloads"] = {action: text for action, text in payloads.items() if text is not None}
    area = _area(device.get("suggested_area"), areas)
    fields = {
        "id": f"{component}.{_slug(data.get('object_id') or object_id)}",
        "name": str(name),
        "area": area,
        "device_class": data.get("device_class"),
        "capabilities": capabilities,
        "mqtt": mqtt,
    }
    try:
        entity = Entity.model_validate(fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RejectedDiscoveryError(f"{where}: {first['msg']}") from None
    problems = entity_problems(entity)
    if problems:
        raise RejectedDiscoveryError("; ".join(message for _, message in problems))
    return entity


class DiscoveryImporter:
    """Collects entities announced on ``<prefix>/+/+/config`` into the registry."""

    def __init__(
        self,
        connection: MqttConnection,
        config: Config,
        declared: DeviceRegistry,
        on_entity: EntityListener | None = None,
    ) -> None:
        self.connection = connection
        self.prefix = config.mqtt.discovery.prefix
        self.own_node = node_id(config)
        self.declared = declared
        self.on_entity = on_entity
        self._lock = threading.Lock()
        self._imported: dict[str, Entity] = {}
        self._by_topic: dict[str, str] = {}

    def start(self) -> None:
        """Subscribe to discovery configs (with and without a node id)."""
        self.connection.subscribe(f"{self.prefix}/+/+/config", self._on_config)
        self.connection.subscribe(f"{self.prefix}/+/+/+/config", self._on_config)

    @property
    def imported(self) -> dict[str, Entity]:
        """Imported entities by id (a copy)."""
        with self._lock:
            return dict(self._imported)

    def registry(self) -> DeviceRegistry:
        """Declared plus imported entities."""
        return DeviceRegistry(
            areas=self.declared.areas,
            entities=(*self.declared.entities, *self.imported.values()),
            floors=self.declared.floors,
        )

    def _on_config(self, topic: str, payload: bytes, retain: bool) -> None:
        parts = topic.split("/")[len(self.prefix.split("/")) :]
        component, object_id = parts[0], parts[-2]
        if len(parts) == 4 and parts[1] == self.own_node:
            return
        if not payload.strip():
            with self._lock:
                removed = self._by_topic.pop(topic, None)
                if removed is not None:
                    self._imported.pop(removed, None)
            if removed is not None:
                _LOGGER.info("discovery: %s was removed", removed)
            return
        try:
            entity = entity_from_discovery(component, object_id, payload, self.declared)
        except RejectedDiscoveryError as err:
            _LOGGER.warning("discovery: ignoring %s: %s", topic, err)
            return
        if entity.id in self.declared:
            _LOGGER.info("discovery: %s is declared in the config; keeping that one", entity.id)
            return
        with self._lock:
            self._imported[entity.id] = entity
            self._by_topic[topic] = entity.id
        _LOGGER.info("discovery: imported %s (%s)", entity.id, entity.name)
        if self.on_entity is not None:
            self.on_entity(entity)


def start_discovery(
    connection: MqttConnection,
    config: Config,
    declared: DeviceRegistry,
    on_entity: EntityListener | None = None,
) -> tuple[DiscoveryPublisher | None, DiscoveryImporter | None]:
    """Announce edge-os (``mqtt.discovery.enabled``) and import others (``import_entities``)."""
    publisher = importer = None
    if config.mqtt.discovery.enabled:
        publisher = DiscoveryPublisher(connection, config)
        publisher.start()
    if config.mqtt.discovery.import_entities:
        importer = DiscoveryImporter(connection, config, declared, on_entity)
        importer.start()
    return publisher, importer
