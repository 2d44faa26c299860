"""The MQTT face of the service: events out, control in, and the Hermes dialect.

Under ``<topic_prefix>/<site id>/`` (e.g. ``edge_os/home/``):

- out: ``event/<type>`` (every pipeline event as JSON), ``status`` (retained state),
  ``transcript`` (retained last command, spoken or sent as text), ``answer`` (retained
  JSON: the last ``answer`` with its ``intent``, ``command`` and ``targets``), ``mute``,
  ``volume``, ``wake_word``, ``metrics`` (JSON);
- in: ``command`` (text to carry out, plain or ``{"text": ...}``), ``say`` (text to speak),
  ``mute/set`` (``ON``/``OFF``), ``volume/set`` (0-100), ``wake_word/set`` (a wake word).

Home Assistant shows the retained state topics as entities (see
:mod:`edge_os.drivers.discovery.publish`); texts are cut to the 255 characters it accepts.

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
(then ``hermes/tts/sayFinished``) meant for this site: one whose ``siteId`` names another
site is left to that site (no ``siteId`` means this one, as in Rhasspy).

Text commands (``command`` and ``hermes/nlu/query``) are written to the durable
:class:`~edge_os.service.inbox.ControlInbox` before the broker gets its PUBACK, so one the
broker has handed over is carried out, once, even if edge-os dies right after. With MQTT 5
the connection also keeps a persistent session, so a QoS 1 command sent while edge-os was
down or restarting is carried out when it is back (the session expires
``mqtt.queue_max_age_seconds`` after edge-os went away, so none older is). MQTT 3.1.1
sessions never expire, so there the session is clean and such commands are not kept. The
other control topics change state and are not kept.

Garbage is rejected with one log line, never a traceback: payloads over
:data:`MAX_PAYLOAD_BYTES`, text that is not UTF-8, JSON nested deeper than
:data:`MAX_JSON_DEPTH`, NaN or infinite numbers, values out of range.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_os.drivers.discovery.publish import MAX_STATE_CHARS, OwnTopics
from edge_os.drivers.mqtt.connection import Inbound, InboundHandler, MqttConnection
from edge_os.errors import EdgeOSError
from edge_os.service.inbox import ControlInbox, Ticket
from edge_os.stages.events import (
    AnswerReady,
    Event,
    IntentRecognized,
    TranscriptReady,
    WakeDetected,
)

_LOGGER = logging.getLogger(__name__)

MAX_TEXT_CHARS = 500
"""Longest command or sentence to speak, in characters."""
MAX_PAYLOAD_BYTES = 4096
"""Largest control payload read; a longer one is rejected unparsed."""
MAX_JSON_DEPTH = 8
"""Deepest JSON nesting accepted (deeper would make the parser recurse without need)."""


class ControlPayloadError(ValueError):
    """A control payload that is not what its topic takes; the message says why."""


def parse_json(text: str) -> Any:
    """``text`` as JSON within :data:`MAX_JSON_DEPTH`, with finite numbers only."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:  # count nesting before parsing: the parser recurses per level
        if escaped:
            escaped = False
        elif in_string:
            escaped = char == "\\"
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise ControlPayloadError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise ControlPayloadError(f"invalid JSON ({err.msg} at character {err.pos})") from None


def _no_constant(name: str) -> Any:
    raise ControlPayloadError(f"{name} is not a number edge-os takes")


def decode_text(payload: bytes) -> str:
    """A payload as stripped UTF-8 text within :data:`MAX_PAYLOAD_BYTES`."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ControlPayloadError(f"{len(payload)} bytes, more than {MAX_PAYLOAD_BYTES}")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ControlPayloadError("not UTF-8") from None


@dataclass(frozen=True)
class ControlHandlers:
    """What the service does when asked over MQTT (called from paho's thread)."""

    command: Callable[[str, Ticket | None], None]
    """Carry out text; the ticket (None when there is no inbox) wraps its handling."""
    say: Callable[[str, str | None], None]
    """Speak text; the second argument is a Hermes request id to finish, if any."""
    mute: Callable[[bool], None]
    volume: Callable[[int], None]
    schedule_list: Callable[[], None]
    """Publish the schedule now."""
    schedule_cancel: Callable[[int], None]
    """Cancel one timer or delayed command by id."""
    wake_word: Callable[[str], None] | None = None
    """Listen for another wake word (Home Assistant's select); None: not offered."""


def event_messages(event: Event, topics: OwnTopics, site_id: str) -> list[tuple[str, str, bool]]:
    """``(topic, payload, retain)`` for one pipeline event, own topics and Hermes."""
    data = event.to_dict()
    messages = [(f"{topics.base}/event/{data['type']}", json.dumps(data), False)]
    session = {"siteId": site_id, "sessionId": None}
    if isinstance(event, WakeDetected):
        hermes = {"modelId": event.model, "currentSensitivity": event.score, **session}
        messages.append((f"hermes/hotword/{event.model}/detected", json.dumps(hermes), False))
    elif isinstance(event, TranscriptReady):
        messages.append((topics.transcript, event.text[:MAX_STATE_CHARS], True))
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
        self,
        connection: MqttConnection,
        topics: OwnTopics,
        site_id: str,
        handlers: ControlHandlers,
        *,
        inbox: ControlInbox | None = None,
    ) -> None:
        self.connection = connection
        self.topics = topics
        self.site_id = site_id
        self.handlers = handlers
        self.inbox = inbox
        """Where text commands are kept until handled (None: memory only)."""
        self.rejected = 0
        """Control messages dropped as malformed."""
        self.redelivered = 0
        """Text commands the broker sent again that were already stored (not run twice)."""
        self.other_site = 0
        """Hermes messages left alone because their ``siteId`` names another site."""
        self._subscribed: list[InboundHandler] = []
        self._last_intent: IntentRecognized | None = None

    def start(self) -> None:
        """Hand over what a previous run left unhandled, then subscribe the control topics."""
        if self.inbox is not None:
            for entry in self.inbox.unfinished():
                _LOGGER.info("carrying out %r, left unhandled by the last run", entry.text)
                self.handlers.command(entry.text, Ticket(self.inbox, entry))
        base = self.topics.base
        self._subscribe(f"{base}/command", self._on_command)
        self._subscribe(f"{base}/say", self._on_say)
        # a retained mute or volume is a setting, still wanted; a retained command is stale
        self._subscribe(OwnTopics.command(self.topics.mute), self._on_mute, retained=True)
        self._subscribe(OwnTopics.command(self.topics.volume), self._on_volume, retained=True)
        if self.handlers.wake_word is not None:
            topic = OwnTopics.command(self.topics.wake_word)
            self._subscribe(topic, self._on_wake_word, retained=True)
        self._subscribe(f"{base}/schedule/list", self._on_schedule_list)
        self._subscribe(f"{base}/schedule/cancel", self._on_schedule_cancel)
        self._subscribe("hermes/nlu/query", self._on_hermes_query)
        self._subscribe("hermes/tts/say", self._on_hermes_say)

    def stop(self) -> None:
        """Stop handling control messages (the session keeps collecting them); close the inbox."""
        for handler in self._subscribed:
            self.connection.remove_handler(handler)
        self._subscribed.clear()
        if self.inbox is not None:
            self.inbox.close()

    def _subscribe(
        self, topic_filter: str, handler: Callable[[Inbound], None], *, retained: bool = False
    ) -> None:
        def guarded(message: Inbound) -> None:
            if message.retain and not retained:
                return  # a stale retained command must never be replayed at start-up
            try:
                handler(message)
            except ControlPayloadError as err:
                self._reject(message.topic, message.payload, str(err))

        self._subscribed.append(guarded)
        self.connection.subscribe_inbound(topic_filter, guarded)

    def publish_event(self, event: Event) -> None:
        """Send one pipeline event to its topics (QoS 0: events are not commands)."""
        for topic, payload, retain in event_messages(event, self.topics, self.site_id):
            self.connection.publish(topic, payload, qos=0, retain=retain)
        if isinstance(event, IntentRecognized):
            self._last_intent = event
        elif isinstance(event, AnswerReady):
            self.publish_answer(event.text)

    def publish_answer(self, answer: str) -> None:
        """The last answer with the intent it answered, retained (the last-answer sensor)."""
        intent = self._last_intent
        self._last_intent = None
        data = {
            "answer": answer[:MAX_STATE_CHARS],
            "intent": intent.intent if intent is not None else None,
            "command": intent.text if intent is not None else None,
            "targets": list(intent.targets) if intent is not None else [],
        }
        self.connection.publish(self.topics.answer, json.dumps(data), qos=1, retain=True)

    def publish_last_command(self, text: str) -> None:
        """A command that came as text, retained like a spoken one (the last-command sensor)."""
        self.connection.publish(self.topics.transcript, text[:MAX_STATE_CHARS], qos=1, retain=True)

    def publish_wake_word(self, name: str) -> None:
        """The wake word listened for, retained (the wake-word select's state)."""
        self.connection.publish(self.topics.wake_word, name, qos=1, retain=True)

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
        _LOGGER.warning("ignoring %r on %s: %s", payload[:60], topic, why)
        self.rejected += 1

    def _command_text(self, message: Inbound, key: str) -> None:
        """Store a text command durably, then hand it over (the PUBACK follows)."""
        text = _text(message.payload, key)
        if self.inbox is None:
            self.handlers.command(text, None)
            return
        try:
            entry = self.inbox.accept(message, text)
        except EdgeOSError as err:
            _LOGGER.error("%s; carrying out %r without keeping it", err, text)
            self.handlers.command(text, None)
            return
        if entry is None:
            self.redelivered += 1
            _LOGGER.info("%r on %s came again (redelivery); already kept", text, message.topic)
            return
        self.handlers.command(text, Ticket(self.inbox, entry))

    def _on_command(self, message: Inbound) -> None:
        self._command_text(message, "text")

    def _on_hermes_query(self, message: Inbound) -> None:
        if self._other_site(message):
            return
        self._command_text(message, "input")

    def _other_site(self, message: Inbound) -> bool:
        """Whether a Hermes message names another site (no ``siteId``: ours)."""
        raw = decode_text(message.payload)
        if not raw.startswith("{"):
            return False
        data = parse_json(raw)
        site = data.get("siteId") if isinstance(data, dict) else None
        if site is None:
            return False
        if not isinstance(site, str):
            raise ControlPayloadError("siteId must be a string")
        if site != self.site_id:
            _LOGGER.debug(
                "%s for site %r, not %r: left to that site", message.topic, site, self.site_id
            )
            self.other_site += 1
            return True
        return False

    def _on_say(self, message: Inbound) -> None:
        self.handlers.say(_text(message.payload, "text"), None)

    def _on_hermes_say(self, message: Inbound) -> None:
        if self._other_site(message):
            return
        text = _text(message.payload, "text")
        data = parse_json(decode_text(message.payload))  # _text accepted it: a JSON object
        request_id = data.get("id") if isinstance(data, dict) else None
        self.handlers.say(text, request_id if isinstance(request_id, str) else None)

    def _on_mute(self, message: Inbound) -> None:
        value = decode_text(message.payload).upper()
        if value in {"ON", "TRUE", "1"}:
            self.handlers.mute(True)
        elif value in {"OFF", "FALSE", "0"}:
            self.handlers.mute(False)
        else:
            raise ControlPayloadError("expected ON or OFF")

    def _on_volume(self, message: Inbound) -> None:
        try:
            value = float(decode_text(message.payload))
        except ValueError:
            raise ControlPayloadError("expected a number 0-100") from None
        if not math.isfinite(value) or not 0 <= value <= 100:
            raise ControlPayloadError("expected a number 0-100")
        self.handlers.volume(round(value))

    def _on_wake_word(self, message: Inbound) -> None:
        name = decode_text(message.payload)
        if not name or len(name) > 64:
            raise ControlPayloadError("expected the name of a wake word")
        assert self.handlers.wake_word is not None  # subscribed only when there is one
        self.handlers.wake_word(name)

    def _on_schedule_list(self, message: Inbound) -> None:
        self.handlers.schedule_list()

    def _on_schedule_cancel(self, message: Inbound) -> None:
        job_id = _job_id(message.payload)
        if job_id is None:
            raise ControlPayloadError('expected a job id: 7 or {"id": 7}')
        self.handlers.schedule_cancel(job_id)


def _text(payload: bytes, key: str) -> str:
    """Text from a plain payload or a JSON object's ``key``, 1-MAX_TEXT_CHARS characters."""
    raw = decode_text(payload)
    if raw.startswith("{"):
        data = parse_json(raw)
        value = data.get(key) if isinstance(data, dict) else None
        if not isinstance(value, str):
            raise ControlPayloadError(f"expected a JSON object with a {key!r} string")
        raw = value.strip()
    if not raw or len(raw) > MAX_TEXT_CHARS:
        raise ControlPayloadError(f"expected 1-{MAX_TEXT_CHARS} characters of text")
    return raw


def _job_id(payload: bytes) -> int | None:
    """A positive integer job id from ``7`` or ``{"id": 7}``; None for anything else."""
    try:
        data = parse_json(decode_text(payload))
    except ControlPayloadError:
        return None
    if isinstance(data, dict):
        data = data.get("id")
    if isinstance(data, bool) or not isinstance(data, int) or not 0 < data < 2**63:
        return None
    return data
