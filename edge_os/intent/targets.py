"""A matched sentence's slots to the entity ids it means, the way Home Assistant resolves them.

A ``name`` picks the entities with that spoken name (narrowed by a spoken area or floor);
otherwise ``domain``, ``device_class``, ``area`` and ``floor`` filter the registry. A name
shared by entities in several areas means the one in the satellite's own area; if that
does not decide it, nothing is targeted (never a guess). Pure functions of the registry.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from edge_os.devices.entity import Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.plan import QUERY_INTENTS, carries
from edge_os.stages.protocols import IntentResult, SlotValue

SlotMap = Mapping[str, SlotValue | Sequence[str]]

BROAD_TARGETS = 10
"""A request that moves more devices than this, of more than one kind, is asked first."""


def broad(intent: str | None, targets: Sequence[str], registry: DeviceRegistry) -> bool:
    """Whether a reading moves many devices of several kinds ("turn everything off in the
    house": every light, fan, switch and speaker), which is asked before it is done."""
    if intent is None or intent in QUERY_INTENTS or len(targets) <= BROAD_TARGETS:
        return False
    return len({e.domain for e in map(registry.get, targets) if e is not None}) > 1


def why_asked(result: IntentResult, registry: DeviceRegistry, act_confidence: float) -> str | None:
    """Why the command path asks before acting on ``result`` (None: it acts at once): an
    LLM's reading, a request that moves many devices of several kinds, or a learned reading
    below ``act_confidence``. (A sensitive device is asked for by the dispatcher.)"""
    if result.path == "llm":
        return "guessed by a model"
    if broad(result.intent, result.targets, registry):
        return f"it moves {len(result.targets)} devices of several kinds"
    if result.path == "model" and result.confidence < act_confidence:
        return "guessed by a model"
    return None


def _allowed(value: object) -> set[str] | None:
    """A slot that may hold one value or a list of values, as a set (None: not said)."""
    if value is None:
        return None
    if isinstance(value, str):
        return {value}
    if isinstance(value, Collection):
        return {str(v) for v in value}
    return {str(value)}


def reads_temperature(entity: Entity) -> bool:
    """Whether an entity can answer "what is the temperature" (thermostat or sensor)."""
    if entity.domain is Domain.CLIMATE:
        return True
    return entity.domain is Domain.SENSOR and entity.device_class == "temperature"


def _in_place(registry: DeviceRegistry, entity: Entity, area: object, floor: object) -> bool:
    if area is not None and entity.area != area:
        return False
    return floor is None or registry.floor_of(entity.area) == floor


def resolve(
    registry: DeviceRegistry,
    slots: SlotMap,
    named: Sequence[str],
    here: str | None,
) -> tuple[str, ...]:
    """Entity ids ``slots`` mean; ``named`` are the ids the spoken ``name`` matched."""
    area, floor = slots.get("area"), slots.get("floor")
    domains = _allowed(slots.get("domain"))
    classes = _allowed(slots.get("device_class"))
    if named:
        pool = [e for e in map(registry.get, named) if e is not None]
        placed = [e for e in pool if _in_place(registry, e, area, floor)]
        if area is not None or floor is not None:
            pool = placed
        elif len({e.area for e in pool}) > 1:
            local = [e for e in pool if e.area == here]
            pool = local if local else []
        return tuple(e.id for e in pool)
    pool = list(registry)
    if domains is not None:
        pool = [e for e in pool if e.id.partition(".")[0] in domains]
    if classes is not None:
        pool = [e for e in pool if e.device_class in classes]
    pool = [e for e in pool if _in_place(registry, e, area, floor)]
    return tuple(e.id for e in pool)


def intent_targets(
    registry: DeviceRegistry,
    intent: str,
    slots: SlotMap,
    named: Sequence[str],
    here: str | None,
) -> tuple[str, ...]:
    """What ``intent`` acts on or asks about: only entities able to carry it out.

    A temperature question reads thermostats and temperature sensors; other questions are
    about devices only when a name, domain or device class says so (a timer is not); an
    action keeps the entities that declare every action it needs. () means no device.
    """
    if intent == "HassClimateGetTemperature":
        found = resolve(registry, slots, named, here)
        return tuple(t for t in found if reads_temperature(registry[t]))
    if intent in QUERY_INTENTS:
        about_devices = bool(named) or "domain" in slots or "device_class" in slots
        return resolve(registry, slots, named, here) if about_devices else ()
    value_slots = {k: v for k, v in slots.items() if isinstance(v, str | int | float)}
    found = resolve(registry, slots, named, here)
    return tuple(t for t in found if carries(intent, registry[t], value_slots))
