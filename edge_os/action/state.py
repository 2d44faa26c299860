"""What devices last reported: a thread-safe cache fed from their MQTT state topics.

Written from paho's network thread, read from the service's event loop and the intent
stage, so ``HassGetState`` answers from real state, never from what edge-os last sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge_os.devices.entity import Entity

_LOGGER = logging.getLogger(__name__)

StateListener = Callable[["EntityState"], None]


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


def parse_state(entity: Entity, payload: bytes) -> str:
    """The entity's state inside ``payload`` (raw text, or ``state_key`` of a JSON object)."""
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as err:
        raise StatePayloadError(f"not UTF-8 text: {err}") from None
    key = entity.mqtt.state_key if entity.mqtt is not None else None
    if key is None:
        if not text:
            raise StatePayloadError("empty payload")
        return text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise StatePayloadError(f"not JSON ({err.msg} at character {err.pos})") from None
    if not isinstance(data, dict):
        raise StatePayloadError(f"expected a JSON object, got {type(data).__name__}")
    if key not in data:
        raise StatePayloadError(f"no {key!r} key in the JSON object")
    value = data[key]
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict | list) or value is None:
        raise StatePayloadError(f"{key!r} holds {json.dumps(value)}, not a state value")
    return str(value)


class StateCache:
    """entity_id -> last reported :class:`EntityState`; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, EntityState] = {}
        self._listeners: list[StateListener] = []

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener`` on every update, in the writer's thread (hand it over yourself)."""
        with self._lock:
            self._listeners.append(listener)

    def update(self, entity_id: str, state: str, now: float | None = None) -> EntityState:
        """Record a new state."""
        entry = EntityState(entity_id, state, time.monotonic() if now is None else now)
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
        """Parse a state payload for ``entity``; malformed payloads are logged and ignored."""
        try:
            state = parse_state(entity, payload)
        except StatePayloadError as err:
            _LOGGER.warning(
                "ignoring malformed state on %s for %s: %s (payload %r)",
                topic,
                entity.id,
                err,
                payload[:80],
            )
            return None
        return self.update(entity.id, state)
