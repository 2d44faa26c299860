"""Home Assistant MQTT discovery of edge-os's own entities.

edge-os announces, retained under ``<prefix>/<component>/<node_id>/<object_id>/config``
with a device block (``suggested_area`` is the area's *name*, as Home Assistant matches
it) and an origin: an assistant status sensor, a last-command sensor, a last-answer sensor
(the intent in its attributes), a mute switch, a wake-word select and a volume number. It
announces them after every connect and again whenever Home Assistant says ``online`` on
``<prefix>/status``. All share edge-os's availability topic, whose last will says
``offline``.

What was announced is recorded in ``<state_dir>/discovery/announced.json``: a config that
is no longer announced (another site id, a changed prefix, an entity a newer edge-os no
longer has, discovery turned off) gets an empty retained payload, which deletes it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_os import __version__
from edge_os.config.settings import BUNDLED_WAKE_WORDS, Config, wake_word_name
from edge_os.drivers.mqtt.connection import Inbound, MqttConnection
from edge_os.drivers.mqtt.driver import availability_topic

_LOGGER = logging.getLogger(__name__)

ORIGIN = {"name": "edge-os", "sw": __version__}
MAX_STATE_CHARS = 255
"""Home Assistant refuses a sensor state longer than this."""


@dataclass(frozen=True)
class OwnTopics:
    """Topics of edge-os's own entities under ``<topic_prefix>/<site id>/``."""

    base: str

    @property
    def status(self) -> str:
        """Assistant status (``idle``, ``listening``, ``thinking``, ``speaking``, ``error``)."""
        return f"{self.base}/status"

    @property
    def transcript(self) -> str:
        """Text of the last command, heard or sent as text."""
        return f"{self.base}/transcript"

    @property
    def answer(self) -> str:
        """The last answer as JSON: ``answer``, ``intent``, ``command``, ``targets``."""
        return f"{self.base}/answer"

    @property
    def mute(self) -> str:
        """Microphone mute state, ``ON`` or ``OFF``."""
        return f"{self.base}/mute"

    @property
    def wake_word(self) -> str:
        """Active wake word."""
        return f"{self.base}/wake_word"

    @property
    def volume(self) -> str:
        """Output volume 0-100."""
        return f"{self.base}/volume"

    @staticmethod
    def command(state_topic: str) -> str:
        """Where Home Assistant sends changes of a state topic (``.../set``)."""
        return f"{state_topic}/set"


def own_topics(config: Config) -> OwnTopics:
    """The topics of ``config``'s site."""
    return OwnTopics(f"{config.mqtt.topic_prefix}/{config.site.id}")


def node_id(config: Config) -> str:
    """Discovery node id of this satellite (``edge_os_<site id>``)."""
    return f"edge_os_{config.site.id.replace('-', '_')}"


def wake_word_options(config: Config) -> list[str]:
    """What the wake-word select offers: the configured words, then the other bundled ones."""
    configured = [wake_word_name(model) for model in config.wake.models]
    return list(dict.fromkeys([*configured, *BUNDLED_WAKE_WORDS]))


def device_block(config: Config) -> dict[str, Any]:
    """The ``device`` block that groups edge-os's entities in Home Assistant."""
    area = next((a for a in config.areas if a.id == config.site.area), None)
    return {
        "identifiers": [node_id(config)],
        "name": f"edge-os {config.site.id}",
        "model": "edge-os voice satellite",
        "manufacturer": "edge-os",
        "sw_version": __version__,
        **({"suggested_area": area.name} if area is not None else {}),
    }


def discovery_messages(config: Config) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config payload for each of edge-os's own entities."""
    topics = own_topics(config)
    node = node_id(config)
    common: dict[str, Any] = {
        "availability_topic": availability_topic(config),
        "payload_available": "online",
        "payload_not_available": "offline",
        "device": device_block(config),
        "origin": ORIGIN,
    }
    entities: dict[tuple[str, str], dict[str, Any]] = {
        ("sensor", "status"): {
            "name": "Assistant status",
            "state_topic": topics.status,
            "icon": "mdi:account-voice",
        },
        ("sensor", "last_transcript"): {
            "name": "Last command",
            "state_topic": topics.transcript,
            "icon": "mdi:text-recognition",
        },
        ("sensor", "last_answer"): {
            "name": "Last answer",
            "state_topic": topics.answer,
            "value_template": "{{ value_json.answer }}",
            "json_attributes_topic": topics.answer,
            "icon": "mdi:message-reply-text",
        },
        ("switch", "mute"): {
            "name": "Mute",
            "state_topic": topics.mute,
            "command_topic": topics.command(topics.mute),
            "payload_on": "ON",
            "payload_off": "OFF",
            "icon": "mdi:microphone-off",
        },
        ("select", "wake_word"): {
            "name": "Wake word",
            "state_topic": topics.wake_word,
            "command_topic": topics.command(topics.wake_word),
            "options": wake_word_options(config),
            "icon": "mdi:account-voice",
        },
        ("number", "volume"): {
            "name": "Volume",
            "state_topic": topics.volume,
            "command_topic": topics.command(topics.volume),
            "min": 0,
            "max": 100,
            "step": 1,
            "unit_of_measurement": "%",
            "icon": "mdi:volume-high",
        },
    }
    prefix = config.mqtt.discovery.prefix
    return {
        f"{prefix}/{component}/{node}/{object_id}/config": {
            **fields,
            "unique_id": f"{node}_{object_id}",
            **common,
        }
        for (component, object_id), fields in entities.items()
    }


def record_path(config: Config) -> Path:
    """Where the topics last announced are recorded."""
    return config.state_dir / "discovery" / "announced.json"


class AnnouncedRecord:
    """The discovery topics edge-os has announced, kept across restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[str]:
        """Topics recorded (none when the file is missing or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as err:
            _LOGGER.warning("cannot read %s (%s); starting a new record", self.path, err)
            return []
        topics = data.get("topics") if isinstance(data, dict) else None
        if not isinstance(topics, list):
            return []
        return [topic for topic in topics if isinstance(topic, str) and topic.endswith("/config")]

    def write(self, topics: Sequence[str]) -> None:
        """Record ``topics`` (atomically); a failure is logged, the announcement stands."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"topics": sorted(topics)}), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as err:
            _LOGGER.warning("cannot write %s: %s", self.path, err)


class DiscoveryPublisher:
    """Publishes edge-os's discovery configs on connect and when Home Assistant restarts."""

    def __init__(self, connection: MqttConnection, config: Config) -> None:
        self.connection = connection
        self.config = config
        self.messages = discovery_messages(config)
        self.record = AnnouncedRecord(record_path(config))
        self.published = 0
        """How many times the whole set was announced."""
        self.removed: list[str] = []
        """Configs deleted because they are no longer announced."""
        self._active = False
        self._status_handler = self._on_status  # one bound method, to remove it again

    def start(self) -> None:
        """Announce now (if connected), after every connect and on HA's ``online``."""
        self._active = True
        self.connection.add_connect_listener(self._on_connect)
        topic = f"{self.config.mqtt.discovery.prefix}/status"
        self.connection.subscribe_inbound(topic, self._status_handler)
        if self.connection.connected:
            self.publish_all()

    def stop(self) -> None:
        """Stop announcing (the retained configs stay: HA shows the entities unavailable)."""
        self._active = False
        self.connection.remove_handler(self._status_handler)

    def publish_all(self) -> None:
        """Delete configs no longer announced, then publish every config, retained, QoS 1."""
        stale = [topic for topic in self.record.read() if topic not in self.messages]
        for topic in stale:
            self.connection.publish(topic, b"", qos=1, retain=True)
            _LOGGER.info("removed %s from Home Assistant (no longer announced)", topic)
        self.removed.extend(stale)
        for topic, payload in self.messages.items():
            self.connection.publish(topic, json.dumps(payload), qos=1, retain=True)
        self.record.write(list(self.messages))
        self.published += 1
        _LOGGER.info("announced %d entities to Home Assistant", len(self.messages))

    def _on_connect(self) -> None:
        if self._active:
            self.publish_all()

    def _on_status(self, message: Inbound) -> None:
        status = message.payload.strip().lower()
        if message.retain:
            return  # an old birth message: the announcement after connect covers it
        if status == b"online":
            self.publish_all()
        elif status != b"offline":
            _LOGGER.warning(
                "ignoring unexpected payload %r on %s", message.payload[:40], message.topic
            )


def retire(connection: MqttConnection, config: Config) -> list[str]:
    """Delete every config edge-os announced before (``mqtt.discovery.enabled: false``)."""
    record = AnnouncedRecord(record_path(config))
    topics = record.read()
    for topic in topics:
        connection.publish(topic, b"", qos=1, retain=True)
    if topics:
        record.write([])
        _LOGGER.info("removed %d edge-os entities from Home Assistant", len(topics))
    return topics
