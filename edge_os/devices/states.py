"""Home Assistant's state for what a device reports, and how a state is said.

Devices report raw payloads (``ON``, ``LOCKED``, ``21.5``, ``true``); :func:`ha_state`
turns each into Home Assistant's state for its domain (``on``, ``locked``, ``open``), so a
question's ``state`` slot (also HA's) compares with it. Pure functions.
"""

from __future__ import annotations

from edge_os.devices.entity import Domain, Entity

_ON = frozenset({"on", "true", "1", "yes", "open", "opened", "detected", "occupied", "home"})
_OFF = frozenset({"off", "false", "0", "no", "closed", "close", "clear", "not_home", "away"})
_SYNONYMS = {
    "lock": "locked", "unlock": "unlocked", "stop": "stopped", "play": "playing",
    "pause": "paused", "close": "closed", "opened": "open",
}  # fmt: skip
OPENING_CLASSES = frozenset({"door", "window", "garage_door", "opening", "gate"})
"""binary_sensor classes whose "on" is "open" (HA's device classes)."""
PRESENCE_CLASSES = frozenset({"occupancy", "motion", "presence", "moving"})


def ha_state(entity: Entity, raw: str | None) -> str | None:
    """Home Assistant's state for a raw reported value, or None when nothing was reported."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip().lower().replace(" ", "_")
    if entity.domain in {Domain.LIGHT, Domain.SWITCH, Domain.FAN, Domain.BINARY_SENSOR}:
        if value in _ON:
            return "on"
        if value in _OFF:
            return "off"
        return value
    if entity.domain in {Domain.COVER, Domain.VALVE}:
        if value in {"0", "closed", "close", "off", "false"}:
            return "closed"
        if value in {"open", "on", "true"} or value.isdigit():
            return "open"
        return _SYNONYMS.get(value, value)
    return _SYNONYMS.get(value, value)


def spoken_state(entity: Entity, state: str) -> str:
    """How a state is said: a door sensor's "on" is "open", a motion sensor's "detected"."""
    if entity.domain is Domain.BINARY_SENSOR and state in {"on", "off"}:
        if entity.device_class in OPENING_CLASSES:
            return "open" if state == "on" else "closed"
        if entity.device_class in PRESENCE_CLASSES:
            return "detected" if state == "on" else "clear"
    return state.replace("_", " ")
