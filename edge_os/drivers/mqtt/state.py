"""What devices last reported: a thread-safe cache fed from their MQTT state topics.

Written from paho's network thread, read from the service's event loop and the intent
stage, so ``HassGetState`` answers from real state, never from what edge-os last sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edge_os.devices.entity import Entity

_LOGGER = logging.getLogger(__name__)

StateListener = Callable[["EntityState"], None]

MAX_PAYLOAD_BYTES = 64 * 1024
"""Larger state payloads are dropped before they are decoded or parsed."""
MAX_JSON_DEPTH = 32
"""Deeper JSON is dropped before parsing (Zigbee2MQTT and Tasmota nest 3 or 4 levels)."""
MAX_STATE_CHARS = 255
"""Longest state kept, as in Home Assistant; a longer one is dropped, not stored."""
WARNING_BURST = 5
"""Warnings about one topic logged at once before the rate limit applies."""
WARNING_INTERVAL_SECONDS = 60.0
"""After a burst, at most one warning per topic per this many seconds."""

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def in_loop(loop: asyncio.AbstractEventLoop, listener: StateListener) -> StateListener:
    """A listener safe to call from paho's thread: it runs ``listener`` in ``loop``'s thread."""

    def handover(state: EntityState) -> None:
        loop.call_soon_threadsafe(listener, state)

    return handover


class StatePayloadError(ValueError):
    """A state payload that does not hold the entity's state."""


@dataclass(frozen=True)
class EntityState:
    """The last state an entity reported."""

    entity_id: str
    state: str
    """The state as text (``ON``, ``21.5``, ``open``); JSON values are taken by state_key."""
    updated_monotonic: float
    """When it arrived (``time.monotonic()`` seconds)."""
    payload: bytes = field(default=b"", repr=False)
    """The payload it came in (at most :data:`MAX_PAYLOAD_BYTES`), for echo checks."""


def parse_state(entity: Entity, payload: bytes) -> str:
    """The entity's state inside ``payload`` (raw text, or ``state_key`` of a JSON object).

    Bounded whatever a device sends: payloads over :data:`MAX_PAYLOAD_BYTES`, JSON nested
    deeper than :data:`MAX_JSON_DEPTH` and states over :data:`MAX_STATE_CHARS` are refused.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise StatePayloadError(f"{len(payload)} bytes (at most {MAX_PAYLOAD_BYTES})")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as err:
        raise StatePayloadError(f"not UTF-8 text: {err}") from None
    key = entity.mqtt.state_key if entity.mqtt is not None else None
    if key is None:
        if not text:
            raise StatePayloadError("empty payload")
        return _bounded(text)
    if json_depth(text) > MAX_JSON_DEPTH:
        raise StatePayloadError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise StatePayloadError(f"not JSON ({err.msg} at character {err.pos})") from None
    except ValueError as err:  # e.g. an integer past Python's digit limit
        raise StatePayloadError(f"not usable JSON ({err})") from None
    if not isinstance(data, dict):
        raise StatePayloadError(f"expected a JSON object, got {type(data).__name__}")
    if key not in data:
        raise StatePayloadError(f"no {key!r} key in the JSON object")
    value = data[key]
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict | list) or value is None:
        shown = "an object" if isinstance(value, dict) else "a list" if value else "null"
        raise StatePayloadError(f"{key!r} holds {shown}, not a state value")
    return _bounded(str(value))


def _bounded(state: str) -> str:
    if len(state) > MAX_STATE_CHARS:
        raise StatePayloadError(f"state is {len(state)} characters (at most {MAX_STATE_CHARS})")
    return state


def json_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in JSON ``text`` (strings skipped), without parsing it."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class WarningLimiter:
    """Per-key token bucket for log lines: a burst, then one per interval; counts the rest."""

    def __init__(
        self, burst: int = WARNING_BURST, interval_seconds: float = WARNING_INTERVAL_SECONDS
    ) -> None:
        self.burst = burst
        self.interval_seconds = interval_seconds
        self._tokens: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._suppressed: dict[str, int] = {}

    def allow(self, key: str, now: float) -> int | None:
        """None: stay quiet; else log now, mentioning this many lines suppressed before."""
        tokens, at = self._tokens.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) / self.interval_seconds)
        if tokens < 1:
            self._tokens[key] = (tokens, now)
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        self._tokens[key] = (tokens - 1, now)
        return self._suppressed.pop(key, 0)


class StateCache:
    """entity_id -> last reported :class:`EntityState`; safe from any thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, EntityState] = {}
        self._listeners: list[StateListener] = []
        self._clock = clock
        self._warnings = WarningLimiter()

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener`` on every update, in the writer's thread (hand it over yourself)."""
        with self._lock:
            self._listeners.append(listener)

    def update(
        self, entity_id: str, state: str, now: float | None = None, payload: bytes = b""
    ) -> EntityState:
        """Record a new state (``payload``: the message it came in, when there was one)."""
        entry = EntityState(entity_id, state, self._clock() if now is None else now, payload)
        with self._lock:
            self._states[entity_id] = entry
            listeners = list(self._listeners)
        for listener in listeners:
            listener(entry)
        return entry

    def get(self, entity_id: str) -> EntityState | None:
        """Last state of ``entity_id``, or None when it never reported."""
        with self._lock:
            return self._states.get(entity_id)

    def snapshot(self) -> dict[str, EntityState]:
        """A copy of every known state."""
        with self._lock:
            return dict(self._states)

    def feed(self, entity: Entity, topic: str, payload: bytes) -> EntityState | None:
        """Parse a state payload for ``entity``; bad ones are dropped, warned of (rate-limited)."""
        try:
            state = parse_state(entity, payload)
        except StatePayloadError as err:
            with self._lock:
                suppressed = self._warnings.allow(topic, self._clock())
            if suppressed is not None:
                _LOGGER.warning(
                    "ignoring malformed state on %s for %s: %s (payload %r)%s",
                    topic,
                    entity.id,
                    err,
                    payload[:80],
                    f" ({suppressed} more suppressed)" if suppressed else "",
                )
            return None
        return self.update(entity.id, state, payload=bytes(payload))
