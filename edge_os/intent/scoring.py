"""How one recognised sentence is judged against its gold, the way HA's intent tests judge.

Exact means the intent and every gold slot are right, and the planned device actions are
the gold's: nothing moves that the gold leaves alone (``wrong-action``, worse than not
understanding), something moves when the gold moves something (``missed-action``), and
all of what the gold moves by area or domain moves (``partial-action``). A reading that
finds no device for a device's intent refuses, as not understanding does: where the gold
is that nothing happens, it is right.

Slots compare by meaning, not spelling: ``area`` and ``floor`` by id, name or alias (or
all targets standing there), ``name`` against the targeted entities' names (a name several
entities share is fine when the targets are among them), ``domain`` and ``device_class``
by slot or by targets, numbers within 0.01, ``hours``/``minutes``/``seconds`` as one total
duration, texts (a timer's name, a state) after normalisation. A gold area, floor or
entity the home lacks is a gold error: reported, never a pass.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from edge_os.devices.entity import Action, Area, Entity, Floor
from edge_os.devices.registry import DeviceRegistry, normalize_name
from edge_os.intent.ha_tests import GoldValue
from edge_os.intent.plan import QUERY_INTENTS, plan
from edge_os.stages.outcome import ActionRequest
from edge_os.stages.protocols import IntentResult, SlotValue

DURATIONS: dict[str, tuple[str, str, str]] = {
    "duration": ("hours", "minutes", "seconds"),
    "start duration": ("start_hours", "start_minutes", "start_seconds"),
}
"""Slot groups compared as one total: "90 seconds" equals "1 minute 30 seconds"."""
DURATION_KEYS = DURATIONS["duration"]
_DURATION_SIZES = (3600, 60, 1)
MAX_VARIANTS = 16
"""Combinations of gold alternatives tried when judging actions."""
LOCATION_KEYS = frozenset({"name", "area", "floor", "domain", "device_class"})


@dataclass(frozen=True)
class Sample:
    """One gold sentence."""

    text: str
    intent: str | None
    """HA intent name, or None: the sentence must not be understood."""
    slots: Mapping[str, GoldValue] = field(default_factory=dict)
    """Gold slots as written (areas by id or name); a tuple is "any one of these"."""
    area: str | None = None
    """Area the sentence is said in (id or name); None: the satellite's own."""
    targets: tuple[str, ...] | None = None
    """Gold entity ids, when the gold line names them."""
    home: str | None = None
    """Which home the sentence runs against (evaluate's key); None: the config's."""
    source: str | None = None
    """Where the gold came from (``file:line``, ``file:tests[i]``)."""
    response: str | None = None
    """The answer the gold expects (HA tests), kept for reports."""


@dataclass(frozen=True)
class Verdict:
    """What was right and wrong about one recognised sentence."""

    exact: bool
    intent_ok: bool
    slots_total: int
    slots_ok: int
    action: str | None
    """``wrong-action``, ``missed-action``, ``partial-action``, ``wrong-targets`` or None."""
    reason: str | None = None
    """Failure kind (``slot:area wrong``, ``not-understood``, ...); None when exact."""
    detail: str | None = None
    gold_error: str | None = None
    """The gold names an area, floor or entity the home lacks."""
    danger: str | None = None
    """How a wrong action would hurt: ``wrong-device``, ``opposite``, ``value-off`` (by
    more than a step), ``question-acted`` or ``unasked`` (something moved that nobody asked
    for); None when no action is wrong or the wrong one is harmless (the right device, a
    gentler change)."""

    @property
    def wrong_action(self) -> bool:
        """Something would move that the gold does not move (worse than not understanding)."""
        return self.action == "wrong-action"


def is_timer(intent: str | None) -> bool:
    """Timer intents: their ``name`` slot is the timer's name, not an entity's."""
    return intent is not None and "Timer" in intent


def alternatives(value: GoldValue) -> tuple[SlotValue, ...]:
    """The values a gold slot accepts."""
    return value if isinstance(value, tuple) else (value,)


def first(value: GoldValue) -> SlotValue:
    """The first value a gold slot accepts (for planning the gold's own actions)."""
    return alternatives(value)[0]


def _place_id(places: Sequence[Area | Floor], spoken: object) -> str | None:
    """The id of the area or floor a value means (its id, name or alias), or None."""
    if spoken is None:
        return None
    wanted = normalize_name(str(spoken)).replace(" ", "_")
    for place in places:
        names = {
            place.id,
            *(normalize_name(n).replace(" ", "_") for n in (place.name, *place.aliases)),
        }
        if wanted in names:
            return place.id
    return None


def area_id(registry: DeviceRegistry, spoken: object) -> str | None:
    """The area a value means (its id, name or alias), or None."""
    return _place_id(registry.areas, spoken)


def floor_id(registry: DeviceRegistry, spoken: object) -> str | None:
    """The floor a value means (its id, name or alias), or None."""
    return _place_id(registry.floors, spoken)


def gold_problems(sample: Sample, registry: DeviceRegistry) -> list[str]:
    """Areas, floors and entities the gold names that the home lacks."""
    problems = []
    if sample.area is not None and area_id(registry, sample.area) is None:
        problems.append(f"context area {sample.area!r} not in the home")
    for key, value in sample.slots.items():
        values = alternatives(value)
        if key == "area" and not any(area_id(registry, v) for v in values):
            problems.append(f"area {values[0]!r} not in the home")
        elif key == "floor" and not any(floor_id(registry, v) for v in values):
            problems.append(f"floor {values[0]!r} not in the home")
        elif (
            key == "name"
            and not is_timer(sample.intent)
            and not any(registry.by_name(str(v)) for v in values)
        ):
            problems.append(f"entity {values[0]!r} not in the home")
    return problems


def _located(entity: Entity, area: str | None, floor: str | None, registry: DeviceRegistry) -> bool:
    if area is not None and entity.area != area:
        return False
    return floor is None or registry.floor_of(entity.area) == floor


def gold_targets(
    sample: Sample, registry: DeviceRegistry, default_area: str | None
) -> tuple[str, ...] | None:
    """Entity ids the gold sentence acts on (or asks about), or None when its slots do not say.

    Like Home Assistant: a name, else domain/device class, narrowed to the area or floor
    said (a named entity standing elsewhere matches nothing); with neither, a name shared
    by entities in several areas means the one in the satellite's area, and a domain means
    the whole home (a test whose template took the satellite's area lists it as a slot).
    """
    if sample.targets is not None:
        return sample.targets
    slots = sample.slots
    if is_timer(sample.intent) or not LOCATION_KEYS & set(slots):
        return None
    area = area_id(registry, first(slots["area"])) if "area" in slots else None
    floor = floor_id(registry, first(slots["floor"])) if "floor" in slots else None
    if "name" in slots:
        pool = [e for v in alternatives(slots["name"]) for e in registry.by_name(str(v))]
    else:
        pool = list(registry)
    if "domain" in slots:
        pool = [e for e in pool if e.domain.value in map(str, alternatives(slots["domain"]))]
    if "device_class" in slots:
        classes = set(map(str, alternatives(slots["device_class"])))
        pool = [e for e in pool if e.device_class in classes]
    if area is not None or floor is not None:
        pool = [e for e in pool if _located(e, area, floor, registry)]
    elif default_area is not None and "name" in slots and len({e.area for e in pool}) > 1:
        pool = [e for e in pool if e.area == default_area] or pool
    pool = list({e.id: e for e in pool}.values())
    if sample.intent is None or sample.intent in QUERY_INTENTS:
        return tuple(e.id for e in pool)
    values = {k: first(v) for k, v in slots.items() if k not in LOCATION_KEYS}
    with _gold_planning():
        return tuple(
            e.id
            for e in pool
            if plan(IntentResult(sample.text, sample.intent, values, (e.id,)), registry)
        )


@contextmanager
def _gold_planning() -> Iterator[None]:
    """Planning the gold's own actions: its skipped entities are expected, not warnings."""
    logger = logging.getLogger(plan.__module__)
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def same_value(gold: object, predicted: object) -> bool:
    """Numbers within 0.01, anything else as normalised text."""
    if predicted is None:
        return False
    wanted, got = _number(gold), _number(predicted)
    if wanted is not None and got is not None:
        return math.isclose(wanted, got, abs_tol=0.01)
    return normalize_name(str(predicted)) == normalize_name(str(gold))


def _entities(result: IntentResult, registry: DeviceRegistry) -> list[Entity | None]:
    return [registry.get(t) for t in result.targets]


def slot_correct(key: str, gold: SlotValue, result: IntentResult, registry: DeviceRegistry) -> bool:
    """Whether the prediction got one gold slot value right (by meaning)."""
    got = result.slots.get(key)
    entities = _entities(result, registry)
    if key == "name" and not is_timer(result.intent):
        ids = {e.id for e in registry.by_name(str(gold))}
        if result.targets:
            return set(result.targets) <= ids
        return same_value(gold, got)
    if key == "area":
        wanted = area_id(registry, gold)
        if wanted is not None and area_id(registry, got) == wanted:
            return True
        return bool(entities) and all(e is not None and e.area == wanted for e in entities)
    if key == "floor":
        wanted = floor_id(registry, gold)
        if wanted is not None and floor_id(registry, got) == wanted:
            return True
        return bool(entities) and all(
            e is not None and registry.floor_of(e.area) == wanted for e in entities
        )
    if key in {"domain", "device_class"} and got is None:
        attribute = "domain" if key == "domain" else "device_class"
        return bool(entities) and all(
            e is not None and str(getattr(e, attribute)) == str(gold) for e in entities
        )
    return same_value(gold, got)


def _seconds(slots: Mapping[str, object], keys: Sequence[str]) -> float:
    return sum(
        (_number(slots.get(k)) or 0.0) * size for k, size in zip(keys, _DURATION_SIZES, strict=True)
    )


def duration_correct(
    keys: Sequence[str], gold: Mapping[str, GoldValue], result: IntentResult
) -> bool:
    """Whether the predicted duration equals the gold one (any combination of alternatives)."""
    got = _seconds(result.slots, keys)
    present = [k for k in keys if k in gold]
    for combo in itertools.product(*(alternatives(gold[k]) for k in present)):
        if math.isclose(_seconds(dict(zip(present, combo, strict=True)), keys), got):
            return True
    return False


def same_request(a: ActionRequest, b: ActionRequest) -> bool:
    """Same entity, action and parameters (numbers within 0.01: 49 equals 49.004)."""
    return (
        a.entity_id == b.entity_id
        and a.action == b.action
        and set(a.params) == set(b.params)
        and all(same_value(a.params[k], b.params[k]) for k in a.params)
    )


def _uncovered(requests: Sequence[ActionRequest], by: Sequence[ActionRequest]) -> bool:
    return any(not any(same_request(r, other) for other in by) for r in requests)


def variants(sample: Sample) -> list[Sample]:
    """The sample once per combination of its gold alternatives (at most ``MAX_VARIANTS``)."""
    keys = [k for k, v in sample.slots.items() if isinstance(v, tuple)]
    combos = itertools.product(*(alternatives(sample.slots[k]) for k in keys))
    return [
        replace(sample, slots={**sample.slots, **dict(zip(keys, combo, strict=True))})
        for combo in itertools.islice(combos, MAX_VARIANTS)
    ]


def finds_nothing(result: IntentResult) -> bool:
    """Whether a reading names no device for a device's intent ("turn on the fan" in a home
    without one): nothing moves and the answer is "Sorry, I couldn't find a device for
    that", a refusal like not understanding."""
    return (
        result.intent is not None
        and result.intent not in QUERY_INTENTS - {"HassGetState", "HassClimateGetTemperature"}
        and not result.targets
        and not result.alternatives
    )


def judge(
    sample: Sample, result: IntentResult, registry: DeviceRegistry, area: str | None
) -> Verdict:
    """Score ``result`` against ``sample`` said in ``area`` (an area id of ``registry``)."""
    problems = gold_problems(sample, registry)
    intent_ok = result.intent == sample.intent
    failures: list[tuple[str, str]] = []
    if sample.intent is not None and result.intent is None:
        failures.append(("not-understood", ""))
    elif sample.intent is None and result.intent is not None:
        if not finds_nothing(result):
            failures.append(("false-accept", f"got {result.intent}"))
    elif not intent_ok:
        failures.append(("wrong-intent", f"got {result.intent}, want {sample.intent}"))
    slots_ok = 0
    judged: set[str] = set()
    for label, keys in DURATIONS.items():
        present = [k for k in keys if k in sample.slots]
        if present:
            ok = intent_ok and duration_correct(keys, sample.slots, result)
            slots_ok += len(present) * ok
            judged.update(present)
            if intent_ok and not ok:
                failures.append((f"slot:{label} wrong", _shown(keys, sample.slots, result)))
    for key, value in sample.slots.items():
        if key in judged:
            continue
        ok = intent_ok and any(slot_correct(key, v, result, registry) for v in alternatives(value))
        slots_ok += ok
        if intent_ok and not ok:
            kind = "missing" if key not in result.slots and not result.targets else "wrong"
            failures.append((f"slot:{key} {kind}", _shown((key,), sample.slots, result)))
    action = _action_check(sample, result, registry, area)
    if action is not None:
        failures.append((action, f"targets {list(result.targets)}"))
    if problems:
        failures.insert(0, ("gold-error", "; ".join(problems)))
    reason, detail = failures[0] if failures else (None, None)
    danger = danger_of(sample, result, registry, area) if action == "wrong-action" else None
    return Verdict(
        exact=not failures,
        intent_ok=intent_ok,
        slots_total=len(sample.slots),
        slots_ok=slots_ok,
        action=action,
        reason=reason,
        detail=detail or None,
        gold_error="; ".join(problems) or None,
        danger=danger,
    )


OPPOSITES: dict[Action, Action] = {
    Action.TURN_ON: Action.TURN_OFF, Action.TURN_OFF: Action.TURN_ON,
    Action.OPEN: Action.CLOSE, Action.CLOSE: Action.OPEN,
    Action.LOCK: Action.UNLOCK, Action.UNLOCK: Action.LOCK,
    Action.VOLUME_UP: Action.VOLUME_DOWN, Action.VOLUME_DOWN: Action.VOLUME_UP,
    Action.PAUSE: Action.RESUME, Action.RESUME: Action.PAUSE,
    Action.MUTE: Action.UNMUTE, Action.UNMUTE: Action.MUTE,
    Action.START: Action.RETURN_TO_BASE, Action.RETURN_TO_BASE: Action.START,
}  # fmt: skip
"""Actions that undo each other."""
STEPS: dict[str, float] = {
    "brightness": 20, "volume": 10, "step": 10, "position": 20, "percentage": 20,
    "temperature": 1.0, "kelvin": 500,
}  # fmt: skip
"""How far a value may be off before a wrong one counts as dangerous (one step)."""


def danger_of(
    sample: Sample, result: IntentResult, registry: DeviceRegistry, area: str | None
) -> str | None:
    """How a wrong planned action would hurt (see :attr:`Verdict.danger`)."""
    predicted = plan(result, registry)
    if not predicted:
        return None
    if sample.intent is None:
        return "unasked"
    if sample.intent in QUERY_INTENTS:
        return "question-acted"
    slots = {k: first(v) for k, v in sample.slots.items()}
    targets = gold_targets(sample, registry, area)
    gold = IntentResult(sample.text, sample.intent, slots, targets or tuple(result.targets))
    with _gold_planning():
        golden = plan(gold, registry)
    wanted = {r.entity_id for r in golden} | set(targets or ())
    if wanted and any(r.entity_id not in wanted for r in predicted):
        return "wrong-device"
    for request in predicted:
        for right in (g for g in golden if g.entity_id == request.entity_id):
            if OPPOSITES.get(request.action) == right.action:
                return "opposite"
            if request.action == right.action and _off_by_more_than_a_step(request, right):
                return "value-off"
    return None


def _off_by_more_than_a_step(got: ActionRequest, want: ActionRequest) -> bool:
    for key, value in want.params.items():
        a, b = _number(got.params.get(key)), _number(value)
        if a is not None and b is not None and abs(a - b) > STEPS.get(key, 0.0):
            return True
    return False


def _action_check(
    sample: Sample, result: IntentResult, registry: DeviceRegistry, area: str | None
) -> str | None:
    """What is wrong with the planned actions (None: they match the gold's, or one
    alternative's when the gold lists several).

    ``wrong-action``: something would move that the gold does not move (or move it
    differently); ``missed-action``: nothing would move; ``partial-action``: some of what
    the gold moves by area or domain would not (a name several entities share needs one).
    """
    predicted = plan(result, registry)
    if result.intent != sample.intent or sample.intent is None:
        return "wrong-action" if predicted else None
    found: str | None = None
    for variant in variants(sample):
        problem = _variant_problem(variant, result, predicted, registry, area)
        if problem is None:
            return None
        found = found or problem
    return found


def _variant_problem(
    sample: Sample,
    result: IntentResult,
    predicted: Sequence[ActionRequest],
    registry: DeviceRegistry,
    area: str | None,
) -> str | None:
    targets = gold_targets(sample, registry, area)
    slots = {k: first(v) for k, v in sample.slots.items()}
    gold = IntentResult(
        sample.text, sample.intent, slots, tuple(result.targets) if targets is None else targets
    )
    with _gold_planning():
        golden = plan(gold, registry)
    if _uncovered(predicted, golden):
        return "wrong-action"
    if golden and not predicted:
        return "missed-action"
    if "name" not in sample.slots and _uncovered(golden, predicted):
        return "partial-action"
    explicit = sample.targets
    if explicit and sample.intent not in QUERY_INTENTS and set(explicit) != set(result.targets):
        return "wrong-targets"
    return None


def _shown(keys: Sequence[str], gold: Mapping[str, GoldValue], result: IntentResult) -> str:
    want = {k: gold[k] for k in keys if k in gold}
    got: dict[str, Any] = {k: result.slots[k] for k in keys if k in result.slots}
    return f"want {want}, got {got} targets {list(result.targets)}"
