"""State questions answered the way Home Assistant answers them, from what devices report.

Devices report raw payloads (``ON``, ``LOCKED``, ``21.5``, ``true``); :func:`ha_state`
turns each into Home Assistant's state for its domain (``on``, ``locked``, ``open``), so a
question's ``state`` slot (also HA's) compares with it. The template's response key picks
the answer's form, as in HA's own responses: ``one`` ("The kitchen light is on."),
``one_yesno`` ("Yes." / "No, it is off."), ``any``, ``all``, ``which`` and ``how_many``.
A device that has not reported yet is said to be unknown, never guessed. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from edge_os.devices.entity import Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.stages.protocols import IntentResult

_ON = frozenset({"on", "true", "1", "yes", "open", "opened", "detected", "occupied", "home"})
_OFF = frozenset({"off", "false", "0", "no", "closed", "close", "clear", "not_home", "away"})
_SYNONYMS = {
    "lock": "locked", "unlock": "unlocked", "stop": "stopped", "play": "playing",
    "pause": "paused", "close": "closed", "opened": "open",
}  # fmt: skip
OPENING_CLASSES = frozenset({"door", "window", "garage_door", "opening", "gate"})
"""binary_sensor classes whose "on" is "open" (HA's device classes)."""
PRESENCE_CLASSES = frozenset({"occupancy", "motion", "presence", "moving"})
LISTED_MAX = 4
"""Up to this many names are read out; more are counted ("... and 3 more")."""


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


def _names(entities: Sequence[Entity]) -> str:
    names = sorted(e.name for e in entities)
    if len(names) > LISTED_MAX:
        return f"{', '.join(names[:3])} and {len(names) - 3} more"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def state_answer(
    result: IntentResult, registry: DeviceRegistry, reported: Mapping[str, str]
) -> str:
    """The spoken answer to a HassGetState / HassClimateGetTemperature question."""
    entities = [e for e in map(registry.get, result.targets) if e is not None]
    if not entities:
        return "I could not find that device."
    states = {e.id: ha_state(e, reported.get(e.id)) for e in entities}
    if result.intent == "HassClimateGetTemperature":
        return " ".join(
            f"The {e.name.lower()} reads {states[e.id]} degrees."
            if states[e.id] is not None
            else f"I do not know the temperature of the {e.name.lower()} yet."
            for e in entities
        )
    unknown = [e for e in entities if states[e.id] is None]
    wanted = result.slots.get("state")
    kind = result.response or ("one_yesno" if wanted is not None else "one")
    if wanted is None or kind == "one":
        return " ".join(
            f"The {e.name.lower()} is {spoken_state(e, states[e.id] or '')}."
            if states[e.id] is not None
            else f"I do not know the state of the {e.name.lower()} yet."
            for e in entities
        )
    known = [e for e in entities if states[e.id] is not None]
    matched = [e for e in known if states[e.id] == str(wanted)]
    unmatched = [e for e in known if states[e.id] != str(wanted)]
    said = spoken_state(entities[0], str(wanted))
    if not known:
        return f"I do not know the state of {_names(unknown)} yet."
    note = f" I do not know about {_names(unknown)} yet." if unknown else ""
    if kind == "how_many":
        return f"{len(matched)}.{note}"
    if kind == "which":
        return (f"{_names(matched)}." if matched else "Not any.") + note
    if kind == "any":
        return (f"Yes, {_names(matched)}." if matched else "No.") + note
    if kind == "all":
        if not unmatched:
            return "Yes." + note
        verb = "are" if len(unmatched) > 1 else "is"
        return f"No, {_names(unmatched)} {verb} not {said}.{note}"
    # one_yesno: one device (or several sharing a name)
    if len(known) == 1 and not unknown:
        entity = known[0]
        return "Yes." if matched else f"No, it is {spoken_state(entity, states[entity.id] or '')}."
    return (f"Yes, {_names(matched)}." if matched else "No.") + note
