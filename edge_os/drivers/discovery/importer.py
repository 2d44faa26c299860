"""Import the entities other devices announce via Home Assistant MQTT discovery (opt-in).

With ``mqtt.discovery.import_entities: true`` the running service subscribes to
``<prefix>/+/+/config`` and ``<prefix>/+/+/+/config``; each config is read by
:func:`~edge_os.drivers.discovery.mapping.entity_from_discovery` and, if it passes the same
validation as a declared entity, joins the registry (:meth:`DiscoveryImporter.registry`,
entities marked imported). An empty retained config removes the entity again.

Declared entities win: an imported entity whose id or spoken name is declared is left out.
Garbage (not JSON, too big, nested too deep, wrong types, a component edge-os does not
import) is ignored and logged once per topic until that topic says something valid; it
never raises, and at most :data:`MAX_IMPORTED` entities are kept.

The configs imported are written to ``<state_dir>/discovery/imported.json`` so commands
run outside the service (``edge-os say``, ``devices list``) see the same entities:
:func:`registry_with_imports`.

Availability: each imported entity's availability topics are followed
(:meth:`DiscoveryImporter.available`); the dispatcher refuses a device that says it is
offline instead of sending into the void.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edge_os.config.settings import Config
from edge_os.devices.entity import Entity
from edge_os.devices.registry import DeviceRegistry, normalize_name
from edge_os.drivers.discovery.components import COMPONENTS, RejectedDiscoveryError
from edge_os.drivers.discovery.mapping import (
    Availability,
    Imported,
    entity_from_discovery,
    load_config_payload,
)
from edge_os.drivers.discovery.publish import node_id
from edge_os.drivers.mqtt.connection import Inbound, MqttConnection

__all__ = [
    "DiscoveryImporter",
    "RejectedDiscoveryError",
    "entity_from_discovery",
    "registry_with_imports",
]

_LOGGER = logging.getLogger(__name__)

MAX_IMPORTED = 1000
"""Most entities imported; later ones are refused (a broker flooded with configs)."""
MAX_WARNED_TOPICS = 10000
"""Topics remembered as already warned about (so each garbage topic logs once)."""
CACHE_NAME = "imported.json"

ChangeListener = Callable[[], None]


def cache_path(config: Config) -> Path:
    """Where the service keeps the configs it imported: ``<state_dir>/discovery/imported.json``."""
    return config.state_dir / "discovery" / CACHE_NAME


class DiscoveryImporter:
    """Collects entities announced on ``<prefix>/+/+/config`` into the registry."""

    def __init__(
        self,
        connection: MqttConnection | None,
        config: Config,
        declared: DeviceRegistry,
        on_change: ChangeListener | None = None,
    ) -> None:
        self.connection = connection
        self.prefix = config.mqtt.discovery.prefix
        self.own_node = node_id(config)
        self.declared = declared
        self.on_change = on_change
        """Called (in the network thread) after an entity was imported, changed or removed."""
        self.rejected = 0
        """Configs ignored so far (garbage, or not importable)."""
        self._declared_names = {
            normalize_name(name) for entity in declared for name in (entity.name, *entity.aliases)
        }
        self._lock = threading.Lock()
        self._by_topic: dict[str, Imported] = {}
        self._payloads: dict[str, dict[str, Any]] = {}
        self._warned: set[str] = set()
        self._seen: dict[str, tuple[int, bytes]] = {}
        self._sequence = 0
        self._followed: set[str] = set()
        # one bound method each, so that stop() can remove exactly these handlers
        self._config_handler = self._on_config_message
        self._availability_handler = self._on_availability

    def start(self) -> None:
        """Subscribe to discovery configs (with and without a node id)."""
        if self.connection is None:
            return
        for levels in ("+/+", "+/+/+"):
            self.connection.subscribe_inbound(
                f"{self.prefix}/{levels}/config", self._config_handler
            )

    def stop(self) -> None:
        """Stop handling configs and availability (the broker subscriptions stay)."""
        if self.connection is not None:
            self.connection.remove_handler(self._config_handler)
            self.connection.remove_handler(self._availability_handler)

    @property
    def imported(self) -> dict[str, Entity]:
        """Imported entities by id."""
        with self._lock:
            return {item.entity.id: item.entity for item in self._by_topic.values()}

    def registry(self) -> DeviceRegistry:
        """Declared plus imported entities, the imported ones marked."""
        imported = self.imported
        return DeviceRegistry(
            areas=self.declared.areas,
            entities=(*self.declared.entities, *imported.values()),
            floors=self.declared.floors,
            imported=frozenset(imported),
        )

    def available(self, entity_id: str) -> bool | None:
        """Whether an imported entity's device last said it is reachable (None: unknown)."""
        with self._lock:
            item = next((i for i in self._by_topic.values() if i.entity.id == entity_id), None)
            if item is None or not item.availability.sources:
                return None
            return _available(item.availability, self._seen)

    def _on_config_message(self, message: Inbound) -> None:
        self.on_config(message.topic, message.payload)

    def on_config(self, topic: str, payload: bytes) -> None:
        """Handle one discovery config (paho's thread); never raises."""
        try:
            changed = self._on_config(topic, payload)
        except RejectedDiscoveryError as err:
            self._reject(topic, str(err))
            return
        except Exception as err:  # a mapping bug must not take the network thread down
            _LOGGER.exception("discovery: cannot read %s", topic)
            self._reject(topic, f"internal error: {err}")
            return
        if changed and self.on_change is not None:
            self.on_change()

    def _on_config(self, topic: str, payload: bytes) -> bool:
        parts = topic.split("/")[len(self.prefix.split("/")) :]
        if len(parts) not in (3, 4):
            raise RejectedDiscoveryError("not a discovery config topic")
        component, object_id = parts[0], parts[-2]
        if len(parts) == 4 and parts[1] == self.own_node:
            return False  # edge-os's own entities
        if not payload.strip():
            return self._remove(topic)
        if component not in COMPONENTS:
            return False  # buttons, numbers, selects...: nothing a voice command drives
        raw = load_config_payload(payload)
        with self._lock:
            if self._payloads.get(topic) == raw:
                return False  # the same config again (a re-subscription)
        item = entity_from_discovery(component, object_id, raw, self.declared)
        return self._add(topic, raw, item)

    def _add(self, topic: str, raw: dict[str, Any], item: Imported) -> bool:
        entity = item.entity
        if entity.id in self.declared:
            raise RejectedDiscoveryError(f"{entity.id} is declared in the config; keeping that one")
        if normalize_name(entity.name) in self._declared_names:
            raise RejectedDiscoveryError(
                f"{entity.name!r} is the name of a declared entity; keeping that one"
            )
        with self._lock:
            taken = {i.entity.id for t, i in self._by_topic.items() if t != topic}
            if topic not in self._by_topic and len(self._by_topic) >= MAX_IMPORTED:
                raise RejectedDiscoveryError(f"already {MAX_IMPORTED} entities imported")
            if entity.id in taken:
                entity = _unique(entity, taken)
                item = Imported(entity, item.availability, item.unique_id, item.skipped)
            self._by_topic[topic] = item
            self._payloads[topic] = raw
            self._warned.discard(topic)
            follow = [s.topic for s in item.availability.sources if s.topic not in self._followed]
            self._followed.update(follow)
        for availability_topic in follow:
            if self.connection is not None:
                self.connection.subscribe_inbound(availability_topic, self._availability_handler)
        skipped = f" (left out: {'; '.join(item.skipped)})" if item.skipped else ""
        _LOGGER.info("discovery: imported %s %r from %s%s", entity.id, entity.name, topic, skipped)
        return True

    def _remove(self, topic: str) -> bool:
        with self._lock:
            removed = self._by_topic.pop(topic, None)
            self._payloads.pop(topic, None)
            self._warned.discard(topic)
        if removed is None:
            return False
        _LOGGER.info("discovery: %s was removed by its device", removed.entity.id)
        return True

    def _reject(self, topic: str, why: str) -> None:
        self.rejected += 1
        with self._lock:
            first = topic not in self._warned
            if first and len(self._warned) < MAX_WARNED_TOPICS:
                self._warned.add(topic)
        if first:
            _LOGGER.warning("discovery: ignoring %s: %s", topic, why)

    def _on_availability(self, message: Inbound) -> None:
        with self._lock:
            self._sequence += 1
            self._seen[message.topic] = (self._sequence, message.payload[:256])

    def save(self, path: Path) -> None:
        """Write the imported configs (topic -> config) for the commands run outside."""
        with self._lock:
            configs = {topic: self._payloads[topic] for topic in self._by_topic}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"configs": configs}, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)

    def load(self, path: Path) -> None:
        """Import the configs a running service saved (what :meth:`save` wrote)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as err:
            _LOGGER.warning("discovery: cannot read %s: %s", path, err)
            return
        configs = data.get("configs") if isinstance(data, dict) else None
        if not isinstance(configs, dict):
            _LOGGER.warning("discovery: %s has no 'configs' object; ignored", path)
            return
        for topic, raw in configs.items():
            if isinstance(topic, str) and isinstance(raw, dict):
                self.on_config(topic, json.dumps(raw).encode())


def _unique(entity: Entity, taken: set[str]) -> Entity:
    """``entity`` with ``_2``, ``_3``, ... added to its id until it is free."""
    number = 2
    while f"{entity.id}_{number}" in taken:
        number += 1
    return entity.model_copy(update={"id": f"{entity.id}_{number}"})


def _available(availability: Availability, seen: dict[str, tuple[int, bytes]]) -> bool | None:
    verdicts: list[tuple[int, bool]] = []
    for source in availability.sources:
        heard = seen.get(source.topic)
        if heard is None:
            continue
        value = heard[1].decode("utf-8", "replace").strip()
        if source.key is not None:
            try:
                data = json.loads(value)
            except ValueError:
                continue
            value = str(data.get(source.key)) if isinstance(data, dict) else ""
        if value == source.available:
            verdicts.append((heard[0], True))
        elif value == source.not_available:
            verdicts.append((heard[0], False))
    if not verdicts:
        return None
    if availability.mode == "all":  # reachable once every topic said so
        if not all(v for _, v in verdicts):
            return False
        return True if len(verdicts) == len(availability.sources) else None
    if availability.mode == "any":
        return any(v for _, v in verdicts)
    return max(verdicts)[1]


def registry_with_imports(config: Config) -> DeviceRegistry:
    """The declared registry plus what the running service imported (``import_entities``).

    For commands run beside the service (``edge-os say``, ``devices list``): it reads
    ``<state_dir>/discovery/imported.json`` and validates each config again.
    """
    declared = DeviceRegistry.from_config(config)
    if not config.mqtt.discovery.import_entities:
        return declared
    importer = DiscoveryImporter(None, config, declared)
    importer.load(cache_path(config))
    return importer.registry()
