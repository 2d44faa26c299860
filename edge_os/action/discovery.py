"""Home Assistant MQTT discovery of edge-os's own entities.

edge-os announces an assistant status sensor, a last-transcript sensor, a mute switch, a
wake-word select and a volume number, retained under
``<prefix>/<component>/<node_id>/<object_id>/config`` with a device block and origin, and
announces them again whenever Home Assistant says ``online`` on ``<prefix>/status``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from edge_os import __version__
from edge_os.action.connection import MqttConnection
from edge_os.action.mqtt import availability_topic
from edge_os.config.settings import Config

_LOGGER = logging.getLogger(__name__)

ORIGIN = {"name": "edge-os", "sw": __version__}


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
        """Text of the last command heard."""
        return f"{self.base}/transcript"

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


def device_block(config: Config) -> dict[str, Any]:
    """The ``device`` block that groups edge-os's entities in Home Assistant."""
    return {
        "identifiers": [node_id(config)],
        "name": f"edge-os {config.site.id}",
        "model": "edge-os voice satellite",
        "manufacturer": "edge-os",
        "sw_version": __version__,
        **({"suggested_area": config.site.area} if config.site.area else {}),
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
    wake_words = [model.rsplit("/", 1)[-1].removesuffix(".onnx") for model in config.wake.models]
    entities: dict[tuple[str, str], dict[str, Any]] = {
        ("sensor", "status"): {"name": "Assistant status", "state_topic": topics.status},
        ("sensor", "last_transcript"): {
            "name": "Last command",
            "state_topic": topics.transcript,
        },
        ("switch", "mute"): {
            "name": "Mute",
            "state_topic": topics.mute,
            "command_topic": topics.command(topics.mute),
            "payload_on": "ON",
            "payload_off": "OFF",
        },
        ("select", "wake_word"): {
            "name": "Wake word",
            "state_topic": topics.wake_word,
            "command_topic": topics.command(topics.wake_word),
            "options": wake_words,
        },
        ("number", "volume"): {
            "name": "Volume",
            "state_topic": topics.volume,
            "command_topic": topics.command(topics.volume),
            "min": 0,
            "max": 100,
            "step": 1,
            "unit_of_measurement": "%",
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


class DiscoveryPublisher:
    """Publishes edge-os's discovery configs on connect and when Home Assistant restarts."""

    def __init__(self, connection: MqttConnection, config: Config) -> None:
        self.connection = connection
        self.config = config
        self.messages = discovery_messages(config)
        self.published = 0
        """How many times the whole set was announced."""

    def start(self) -> None:
        """Announce after every connect and on ``<prefix>/status`` = ``online``."""
        self.connection.add_connect_listener(self.publish_all)
        self.connection.subscribe(f"{self.config.mqtt.discovery.prefix}/status", self._on_status)
        if self.connection.connected:
            self.publish_all()

    def publish_all(self) -> None:
        """Publish every config, retained, QoS 1."""
        for topic, payload in self.messages.items():
            self.connection.publish(topic, json.dumps(payload), qos=1, retain=True)
        self.published += 1
        _LOGGER.info("announced %d entities to Home Assistant", len(self.messages))

    def remove_all(self) -> None:
        """Delete edge-os's entities from Home Assistant (empty retained payloads)."""
        for topic in self.messages:
            self.connection.publish(topic, b"", qos=1, retain=True)

    def _on_status(self, topic: str, payload: bytes, retain: bool) -> None:
        if payload.strip().lower() == b"online":
            self.publish_all()
        elif payload.strip().lower() != b"offline":
            _LOGGER.warning("ignoring unexpected payload %r on %s", payload[:40], topic)
