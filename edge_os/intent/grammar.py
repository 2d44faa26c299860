"""The compiled grammar: sentence -> mentions -> skeleton -> template -> resolved targets.

Latency contract: one normalisation, one longest-match scan and one dict lookup per
sentence (tens of microseconds); the fuzzy repair pass runs only when exact matching
fails. Targets come only from the registry and must declare the template's action, so
the grammar can never name a device that does not exist or ask for an undeclared action.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from edge_os.devices.entity import Domain, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.lexicon import HERE, Lexicon, Mention, skeleton
from edge_os.intent.normalize import clean, normalize
from edge_os.intent.templates import Template, compile_templates, vocabulary
from edge_os.pipeline.stages import IntentResult, SlotValue

FUZZY_PENALTY = 0.9
"""Confidence factor for a sentence that needed repaired words."""
TRAILING_AREA = " in {area}"
_TIMER_NAME = re.compile(r"\b(?:called|named)\s+(.+)$")
_VALUE_KINDS = frozenset({"number", "percent", "degrees", "color", "ctemp"})


@dataclass(frozen=True)
class Parse:
    """What the lexicon found in one sentence."""

    names: tuple[str, ...] | None
    area: str | None
    domain: Domain | None
    value: object
    duration: int | None
    everything: bool
    score: float


def reads_temperature(entity: Entity) -> bool:
    """Whether an entity can answer "what is the temperature" (thermostat or sensor)."""
    if entity.domain is Domain.CLIMATE:
        return True
    return entity.domain is Domain.SENSOR and entity.device_class == "temperature"


class GrammarRecognizer:
    """IntentRecognizer compiled from the registry and the English templates."""

    def __init__(self, registry: DeviceRegistry, default_area: str | None = None) -> None:
        self.registry = registry
        self.default_area = default_area
        self.table = compile_templates()
        self.lexicon = Lexicon(registry, vocabulary(self.table))

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise ``text`` said in ``area``; not understood is a result, never an error."""
        started = time.perf_counter()
        result = self._recognize(text, area or self.default_area)
        latency_ms = (time.perf_counter() - started) * 1000
        if result is None:
            return IntentResult(text=text, intent=None, path="grammar", latency_ms=latency_ms)
        intent, slots, targets, confidence = result
        return IntentResult(text, intent, slots, targets, confidence, "grammar", latency_ms)

    def _recognize(
        self, text: str, area: str | None
    ) -> tuple[str, dict[str, SlotValue], tuple[str, ...], float] | None:
        timer_name = None
        cleaned = clean(text)
        if "timer" in cleaned and (named := _TIMER_NAME.search(cleaned)):
            timer_name = named.group(1)
            text = cleaned[: named.start()]
        tokens = normalize(text)
        if not tokens:
            return None
        mentions = self.lexicon.mentions(tokens)
        found = self._match(tokens, mentions, area, 1.0)
        if found is None:
            repaired = self.lexicon.fuzzy_mentions(tokens, mentions)
            if repaired is not None:
                found = self._match(tokens, repaired, area, FUZZY_PENALTY)
        if found is not None and timer_name and found[0] == "HassStartTimer":
            found[1]["name"] = timer_name
        return found

    def _match(
        self, tokens: list[str], mentions: list[Mention], area: str | None, factor: float
    ) -> tuple[str, dict[str, SlotValue], tuple[str, ...], float] | None:
        shape = skeleton(tokens, mentions)
        candidates = self.table.get(shape)
        if not candidates and shape.endswith(TRAILING_AREA):
            # "... to 30 percent in the lounge": a trailing place narrows any template
            candidates = self.table.get(shape.removesuffix(TRAILING_AREA))
        if not candidates:
            return None
        parse = _parse(mentions, "all" in tokens)
        for template, fixed in candidates:
            targets = self._targets(template, parse, area)
            if targets is None:
                continue
            slots: dict[str, SlotValue] = dict(fixed)
            if parse.names is not None and len(targets) == 1:
                entity = self.registry.get(targets[0])
                if entity is not None:
                    slots["name"] = entity.name
            if parse.area is not None:
                slots["area"] = area if parse.area == HERE and area else parse.area
            if parse.domain is not None:
                slots["domain"] = parse.domain.value
            if template.value_slot is not None and parse.value is not None:
                value = _value(template.value_slot, parse.value)
                if value is None:
                    continue
                slots[template.value_slot] = value
            if parse.duration is not None:
                slots.update(_duration_slots(parse.duration))
            return template.intent, slots, targets, round(parse.score * factor, 3)
        return None

    def _targets(
        self, template: Template, parse: Parse, area: str | None
    ) -> tuple[str, ...] | None:
        """Entity ids the template acts on; None when it cannot apply to this sentence."""
        wants_device = template.action is not None or template.reads is not None
        if not wants_device:
            return () if parse.names is None and parse.domain is None else None
        if parse.area == HERE and area is None:
            return None
        said_area = area if parse.area == HERE else parse.area
        if parse.names is not None:
            pool = [e for e in map(self.registry.get, parse.names) if e is not None]
            if said_area is not None:
                pool = [e for e in pool if e.area == said_area]
            matching = [e for e in pool if self._fits(e, template)]
            # a name that fits nothing makes the template not apply (never a guess)
            return tuple(e.id for e in matching) if len(matching) == len(pool) and pool else None
        domain = parse.domain or template.domain
        pool = [e for e in self.registry if self._fits(e, template)]
        if domain is not None:
            pool = [e for e in pool if e.domain is domain]
        if said_area is not None:
            here = [e for e in pool if e.area == said_area]
            return tuple(e.id for e in here) or None
        if parse.everything:
            return tuple(e.id for e in pool) or None
        if area is not None:
            here = [e for e in pool if e.area == area]
            if here:
                return tuple(e.id for e in here)
        # no area said and none in this room: only an unambiguous device in the home
        return (pool[0].id,) if len(pool) == 1 else None

    @staticmethod
    def _fits(entity: Entity, template: Template) -> bool:
        if template.action is not None:
            return template.action in entity.actions
        if template.reads == "temperature":
            return reads_temperature(entity)
        return True


def _parse(mentions: Sequence[Mention], everything: bool) -> Parse:
    names: tuple[str, ...] | None = None
    area = None
    domain: Domain | None = None
    found: object = None
    duration: int | None = None
    score = 1.0
    for mention in mentions:
        score = min(score, mention.score)
        value = mention.value
        if mention.kind == "name" and isinstance(value, tuple):
            names = tuple(str(entity_id) for entity_id in value)
        elif mention.kind == "area":
            area = str(value)
        elif mention.kind == "domain" and isinstance(value, Domain):
            domain = value
        elif mention.kind == "duration" and isinstance(value, int):
            duration = value
        elif mention.kind in _VALUE_KINDS:
            found = value
    return Parse(names, area, domain, found, duration, everything, score)


def _value(slot: str, value: object) -> SlotValue | None:
    """A slot value in its type and range, or None when out of range (no guessing)."""
    if isinstance(value, str):
        return value if slot == "color" else None
    if not isinstance(value, int | float) or slot == "color":
        return None
    number: float = float(value)
    if slot == "temperature" and number >= 1000:
        return int(number) if 1000 <= number <= 10000 else None
    if slot in {"brightness", "percentage", "position", "volume_level"}:
        if not 0 <= number <= 100:
            return None
        return round(number)
    if slot == "temperature":
        return (int(number) if number.is_integer() else number) if 5 <= number <= 35 else None
    return None


def _duration_slots(seconds: int) -> dict[str, SlotValue]:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    slots: dict[str, SlotValue] = {}
    if hours:
        slots["hours"] = hours
    if minutes:
        slots["minutes"] = minutes
    if secs:
        slots["seconds"] = secs
    return slots
