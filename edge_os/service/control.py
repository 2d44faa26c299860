"""The MQTT face of the service: events out, control in, and the Hermes dialect.

Under ``<topic_prefix>/<site id>/`` (e.g. ``edge_os/home/``):

- out: ``event/<type>`` (every pipeline event as JSON), ``status`` (retained state),
  ``transcript`` (retained last command), ``mute``, ``volume``, ``metrics`` (JSON);
- in: ``command`` (text to carry out, plain or ``{"text": ...}``), ``say`` (text to speak),
  ``mute/set`` (``ON``/``OFF``), ``volume/set`` (0-100).

Timers and delayed commands (the durable schedule):

- out: ``schedule`` (retained JSON, republished whenever the schedule changes):
  ``{"jobs": [{"id": 7, "kind": "command", "name": null, "area": "living_room",
  "seconds": 300, "command": "turn off the lights", "due_unix": 1764421234.5,
  "paused": false, "left_seconds": null, "created_unix": 1764420934.5}]}``
  (``kind`` is ``timer`` for a plain timer, whose ``command`` is null; ``left_seconds``
  is set only while paused, when ``due_unix`` is null); ``event/timer-finished`` when
  one comes due (``expired: true`` when it was too late to run and was dropped);
- in: ``schedule/list`` (any payload: publish ``schedule`` now), ``schedule/cancel``
  (a job id: ``7`` or ``{"id": 7}``).

Rhasspy-era tools speak Hermes: edge-os publishes ``hermes/hotword/<id>/detected``,
``hermes/asr/textCaptured``, ``hermes/nlu/intentParsed``, ``hermes/intent/<name>`` and
``hermes/nlu/intentNotRecognized``, and answers ``hermes/nlu/query`` and ``hermes/tts/say``
(then ``hermes/tts/sayFinished``). Garbage payloads are logged and dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_os.action.connection import MqttConnection
from edge_os.action.discovery import OwnTopics
from edge_os.pipeline.events import (
    Event,
    IntentRecognized,
    TranscriptReady,
    WakeDetected,
)

_LOGGER = logging.getLogger(__name__)

MAX_TEXT_CHARS = 500


@dataclass(frozen=True)
class ControlHandlers:
    """What the service does when asked over MQTT (called from paho's thread)."""

    command: Callable[[str], None]
    say: Callable[[str, str | None], None]
    """Speak text; the second argument is a Hermes request id to finish, if any."""
    mute: Callable[[bool], None]
    volume: Callable[[int], None]
    schedule_list: Callable[[], None]
    """Publish the schedule now."""
    schedule_cancel: Callable[[int], None]
    """Cancel one timer or delayed command by id."""


def event_messages(event: Event, topics: OwnTopics, site_id: str) -> list[tuple[str, str, bool]]:
    """``(topic, payload, retain)`` for one pipeline event, own topics and Hermes."""
    data = event.to_dict()
    messages = [(f"{topics.base}/event/{data['type']}", json.dumps(data), False)]
    session = {"siteId": site_id, "sessionId": None}
    if isinstance(event, WakeDetected):
        hermes = {"modelId": event.model, "currentSensitivity": event.score, **session}
        messages.append((f"hermes/hotword/{event.model}/detected", json.dumps(hermes), False))
    elif isinstance(event, TranscriptReady):
        messages.append((topics.transcript, event.text, True))
        hermes = {
            "text": event.text,
            "likelihood": 1.0,
            "seconds": event.processing_ms / 1000,
            **session,
        }
        messages.append(("hermes/asr/textCaptured", json.dumps(hermes), False))
    elif isinstance(event, IntentRecognized):
        messages.extend(_hermes_intent(event, session))
    return messages


def _hermes_intent(event: IntentRecognized, session: dict[str, Any]) -> list[tuple[str, str, bool]]:
    if event.intent is None:
        payload = json.dumps({"input": event.text, **session})
        return [("hermes/nlu/intentNotRecognized", payload, False)]
    slots = [
        {
            "entity": name,
            "slotName": name,
            "rawValue": str(value),
            "value": {"kind": "Unknown", "value": value},
        }
        for name, value in event.slots.items()
    ]
    parsed = json.dumps(
        {
            "input": event.text,
            "intent": {"intentName": event.intent, "confidenceScore": event.confidence},
            "slots": slots,
            **session,
        }
    )
    return [
        ("hermes/nlu/intentParsed", parsed, False),
        (f"hermes/intent/{event.intent}", parsed, False),
    ]


class MqttControl:
    """Publishes events and status; turns control messages into handler calls."""

    def __init__(
        self, connection: MqttConnection, topics: OwnTopics, site_id: str, handlers: ControlHandlers
    ) -> None:
        self.connection = connection
        self.topics = topics
        self.site_id = site_id
        self.handlers = handlers
        self.rejected = 0
        """Control messages dropped as malformed."""

    def start(self) -> None:
        """Subscribe to the control topics (again after every reconnect)."""
        base = self.topics.base
        self.connection.subscribe(f"{base}/command", self._on_command)
        self.connection.subscribe(f"{base}/say", self._on_say)
        self.connection.subscribe(OwnTopics.command(self.topics.mute), self._on_mute)
        self.connection.subscribe(OwnTopics.command(self.topics.volume), self._on_volume)
        self.connection.subscribe(f"{base}/schedule/list", self._on_schedule_list)
        self.connection.subscribe(f"{base}/schedule/cancel", self._on_schedule_cancel)
        self.connection.subscribe("hermes/nlu/query", self._on_hermes_query)
        self.connection.subscribe("hermes/tts/say", self._on_hermes_say)

    def publish_event(self, event: Event) -> None:
        """Send one pipeline event to its topics (QoS 0: events are not commands)."""
        for topic, payload, retain in event_messages(event, self.topics, self.site_id):
            self.connection.publish(topic, payload, qos=0, retain=retain)

    def publish_state(self, status: str, *, muted: bool, volume: int) -> None:
        """Retained status, mute and volume for Home Assistant's entities."""
        self.connection.publish(self.topics.status, status, qos=1, retain=True)
        self.connection.publish(self.topics.mute, "ON" if muted else "OFF", qos=1, retain=True)
        self.connection.publish(self.topics.volume, str(volume), qos=1, retain=True)

    def publish_schedule(self, jobs: list[dict[str, Any]]) -> None:
        """The timers and delayed commands, retained (QoS 1)."""
        payload = json.dumps({"jobs": jobs})
        self.connection.publish(f"{self.topics.base}/schedule", payload, qos=1, retain=True)

    def publish_metrics(self, metrics: dict[str, Any]) -> None:
        """Counts and per-stage latency summaries as JSON."""
        self.connection.publish(f"{self.topics.base}/metrics", json.dumps(metrics), qos=0)

    def say_finished(self, request_id: str | None) -> None:
        """Tell Hermes clients a ``hermes/tts/say`` request has been spoken."""
        payload = {"id": request_id, "siteId": self.site_id, "sessionId": None}
        self.connection.publish("hermes/tts/sayFinished", json.dumps(payload), qos=0)

    def _reject(self, topic: str, payload: bytes, why: str) -> None:
        self.rejected += 1
        _LOGGER.warning("ignoring %r on %s: %s", payload[:60], topic, why)

    def _text(self, topic: str, payload: bytes, key: str = "text") -> str | None:
        try:
            raw = payload.decode("utf-8").strip()
        except UnicodeDecodeError:
            self._reject(topic, payload, "not UTF-8")
            return None
        if raw.startswith("{"):
            try:
                data = json.loads(raw)
            except json.JSONDecodeError:
                self._reject(topic, payload, "invalid JSON")
                return None
            value = data.get(key) if isinstance(data, dict) else None
            if not isinstance(value, str):
                self._reject(topic, payload, f"expected a JSON object with a {key!r} string")
                return None
            raw = value.strip()
        if not raw or len(raw) > MAX_TEXT_CHARS:
            self._reject(topic, payload, f"expected 1-{MAX_TEXT_CHARS} characters of text")
            return None
        return raw

    def _on_command(self, topic: str, payload: bytes, retain: bool) -> None:
        if retain:
            return  # a stale retained command must never be replayed at start-up
        text = self._text(topic, payload)
        if text is not None:
            self.handlers.command(text)

    def _on_say(self, topic: str, payload: bytes, retain: bool) -> None:
        text = None if retain else self._text(topic, payload)
        if text is not None:
            self.handlers.say(text, None)

    def _on_hermes_query(self, topic: str, payload: bytes, retain: bool) -> None:
        text = None if retain else self._text(topic, payload, key="input")
        if text is not None:
            self.handlers.command(text)

    def _on_hermes_say(self, topic: str, payload: bytes, retain: bool) -> None:
        if retain:
            return
        text = self._text(topic, payload)
        if text is None:
            return
        try:
            request_id = json.loads(payload).get("id")
        except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
            request_id = None
        self.handlers.say(text, request_id if isinstance(request_id, str) else None)

    def _on_mute(self, topic: str, payload: bytes, retain: bool) -> None:
        value = payload.strip().upper()
        if value in {b"ON", b"TRUE", b"1"}:
            self.handlers.mute(True)
        elif value in {b"OFF", b"FALSE", b"0"}:
            self.handlers.mute(False)
        else:
            self._reject(topic, payload, "expected ON or OFF")

    def _on_volume(self, topic: str, payload: bytes, retain: bool) -> None:
        try:
            volume = round(float(payload.decode("ascii").strip()))
        except (UnicodeDecodeError, ValueError):
            self._reject(topic, payload, "expected a number 0-100")
            return
        if not 0 <= volume <= 100:
            self._reject(topic, payload, "expected a number 0-100")
            return
        self.handlers.volume(volume)

    def _on_schedule_list(self, topic: str, payload: bytes, retain: bool) -> None:
        if not retain:
            self.handlers.schedule_list()

    def _on_schedule_cancel(self, topic: str, payload: bytes, retain: bool) -> None:
        if retain:
            return  # a stale retained cancel must not hit a job made later
        job_id = _job_id(payload)
        if job_id is None:
            self._reject(topic, payload, 'expected a job id: 7 or {"id": 7}')
            return
        self.handlers.schedule_cancel(job_id)


def _job_id(payload: bytes) -> int | None:
    """A positive integer job id from ``7`` or ``{"id": 7}``; None for anything else."""
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, dict):
        data = data.get("id")
    if isinstance(data, bool) or not isinstance(data, int) or not 0 < data < 2**63:
        return None
    return data
