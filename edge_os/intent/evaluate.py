"""``edge-os eval intents FILE.jsonl``: intent and slot accuracy, wrong actions, latency.

Each line is ``{"text", "intent", "slots"}`` (``intent`` null: the sentence must not be
understood), optionally ``"area"`` (where it was said, default ``site.area``) and
``"targets"`` (gold entity ids). Gold slots compare by meaning, not spelling: ``name``
is resolved to entity ids (the prediction must target only those), ``area`` to an area id
(by id, name or alias), ``hours``/``minutes``/``seconds`` as one total duration, numbers
within 0.01. ``wrong_action`` counts sentences whose planned device actions differ from
the gold ones: worse than not understanding, because something moved that should not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edge_os.config.settings import Config
from edge_os.devices.registry import DeviceRegistry, normalize_name
from edge_os.errors import ErrorCode, UsageError
from edge_os.intent.engine import IntentEngine, load_fallback
from edge_os.intent.plan import QUERY_INTENTS, plan
from edge_os.jsonl import read_objects
from edge_os.pipeline.stages import IntentResult, SlotValue

DURATION_KEYS = ("hours", "minutes", "seconds")


@dataclass(frozen=True)
class Sample:
    """One gold line."""

    text: str
    intent: str | None
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    area: str | None = None
    targets: tuple[str, ...] | None = None


def load_samples(path: Path) -> list[Sample]:
    """Read a JSONL file of gold sentences; malformed lines are errors with their line."""
    samples = []
    for where, data in read_objects(path):
        if not isinstance(data.get("text"), str):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: expected an object with text")
        intent = data.get("intent")
        slots = data.get("slots") or {}
        targets = data.get("targets")
        if intent is not None and not isinstance(intent, str):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: intent must be a string or null")
        if not isinstance(slots, dict):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: slots must be an object")
        samples.append(
            Sample(
                data["text"],
                intent,
                slots,
                data.get("area"),
                tuple(targets) if isinstance(targets, list) else None,
            )
        )
    return samples


def area_id(registry: DeviceRegistry, spoken: object) -> str | None:
    """The area a gold ``area`` value means (id, name or alias), or None."""
    wanted = normalize_name(str(spoken)).replace(" ", "_")
    for area in registry.areas:
        names = {
            area.id,
            *(normalize_name(n).replace(" ", "_") for n in (area.name, *area.aliases)),
        }
        if wanted in names:
            return area.id
    return None


def gold_targets(
    sample: Sample, registry: DeviceRegistry, default_area: str | None
) -> tuple[str, ...] | None:
    """Entity ids the gold sentence acts on, or None when its slots do not say."""
    if sample.targets is not None:
        return sample.targets
    slots = sample.slots
    area = area_id(registry, slots["area"]) if "area" in slots else None
    if "name" in slots:
        pool = registry.by_name(str(slots["name"]))
        if area is not None and any(e.area == area for e in pool):
            pool = [e for e in pool if e.area == area]
    elif "area" in slots or "domain" in slots:
        pool = list(registry)
        if "domain" in slots:
            pool = [e for e in pool if e.domain.value == slots["domain"]]
        where = area or default_area
        pool = [e for e in pool if e.area == where]
    else:
        return None
    if sample.intent is None or sample.intent in QUERY_INTENTS:
        return tuple(e.id for e in pool)
    value_slots = {k: v for k, v in slots.items() if k not in {"name", "area", "domain"}}
    return tuple(
        e.id
        for e in pool
        if plan(IntentResult(sample.text, sample.intent, value_slots, (e.id,)), registry)
    )


def _seconds(slots: Mapping[str, SlotValue]) -> float:
    sizes = zip(DURATION_KEYS, (3600, 60, 1), strict=True)
    return sum(float(slots.get(key, 0) or 0) * size for key, size in sizes)


def slot_correct(key: str, gold: SlotValue, result: IntentResult, registry: DeviceRegistry) -> bool:
    """Whether the prediction got one gold slot right (by meaning)."""
    if key == "name":
        ids = {e.id for e in registry.by_name(str(gold))}
        return bool(result.targets) and set(result.targets) <= ids
    if key == "area":
        wanted = area_id(registry, gold)
        if result.slots.get("area") == wanted:
            return True
        entities = [registry.get(t) for t in result.targets]
        return bool(entities) and all(e is not None and e.area == wanted for e in entities)
    if key == "domain":
        entities = [registry.get(t) for t in result.targets]
        return result.slots.get("domain") == gold or (
            bool(entities) and all(e is not None and e.domain.value == gold for e in entities)
        )
    predicted = result.slots.get(key)
    if isinstance(gold, int | float) and isinstance(predicted, int | float):
        return math.isclose(float(gold), float(predicted), abs_tol=0.01)
    return predicted is not None and normalize_name(str(predicted)) == normalize_name(str(gold))


def _actions(requests: Sequence[Any]) -> set[tuple[str, str, str]]:
    """Requests as comparable tuples (numbers compared as numbers: 49 equals 49.0)."""
    return {
        (r.entity_id, r.action.value, json.dumps({k: _plain(v) for k, v in r.params.items()},
                                                 sort_keys=True))
        for r in requests
    }  # fmt: skip


def _plain(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 3)
    return value


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def evaluate(path: Path, config: Config) -> dict[str, Any]:
    """Run every sentence of ``path`` through the intent engine and score it."""
    samples = load_samples(path)
    registry = DeviceRegistry.from_config(config)
    engine = IntentEngine(
        registry,
        config.intent.model_copy(update={"cache_size": 0}),
        default_area=config.site.area,
        fallback=load_fallback(registry, config.intent, config.state_dir),
    )
    return score(samples, engine, registry, config.site.area)


def score(
    samples: Sequence[Sample], engine: Any, registry: DeviceRegistry, default_area: str | None
) -> dict[str, Any]:
    """Metrics of ``engine`` (any IntentRecognizer) on gold ``samples``."""
    intent_ok = slots_total = slots_ok = exact = not_understood = wrong = false_accept = 0
    latencies: list[float] = []
    by_path: dict[str, dict[str, int]] = {}
    errors: list[dict[str, Any]] = []
    for sample in samples:
        area = sample.area or default_area
        result: IntentResult = engine.recognize(sample.text, area=area)
        latencies.append(result.latency_ms)
        path_stats = by_path.setdefault(result.path, {"n": 0, "intent_correct": 0})
        path_stats["n"] += 1
        correct = result.intent == sample.intent
        intent_ok += correct
        path_stats["intent_correct"] += correct
        if sample.intent is not None and result.intent is None:
            not_understood += 1
        if sample.intent is None and result.intent is not None:
            false_accept += 1
        gold = dict(sample.slots)
        seconds = _seconds(gold)
        good = 0
        for key, value in gold.items():
            if key in DURATION_KEYS:  # "90 seconds" equals "1 minute 30 seconds"
                ok = correct and math.isclose(_seconds(result.slots), seconds)
            else:
                ok = correct and slot_correct(key, value, result, registry)
            good += ok
        slots_total += len(gold)
        slots_ok += good
        predicted = _actions(plan(result, registry))
        targets = gold_targets(sample, registry, area)
        if predicted:
            if not correct:
                bad = True
            elif targets is not None:
                golden = IntentResult(sample.text, sample.intent, gold, targets)
                bad = predicted != _actions(plan(golden, registry))
            else:
                same = IntentResult(sample.text, sample.intent, gold, tuple(result.targets))
                bad = predicted != _actions(plan(same, registry))
            wrong += bad
        else:
            bad = False
        # questions and timers are judged by their slots; actions also by what they move
        same_targets = (
            sample.intent in QUERY_INTENTS or not targets or set(targets) == set(result.targets)
        )
        if correct and good == len(gold) and same_targets and not bad:
            exact += 1
        elif len(errors) < 20:
            errors.append(
                {"text": sample.text, "gold": sample.intent, "got": result.intent,
                 "slots": dict(result.slots), "targets": list(result.targets)}
            )  # fmt: skip
    n = len(samples)
    return {
        "n": n,
        "intent_accuracy": round(intent_ok / n, 4),
        "slot_accuracy": round(slots_ok / slots_total, 4) if slots_total else 1.0,
        "exact_match": round(exact / n, 4),
        "not_understood": not_understood,
        "false_accept": false_accept,
        "wrong_action": wrong,
        "wrong_action_rate": round(wrong / n, 4),
        "p50_ms": round(_percentile(latencies, 50), 3),
        "p95_ms": round(_percentile(latencies, 95), 3),
        "by_path": {
            path: {"n": s["n"], "intent_accuracy": round(s["intent_correct"] / s["n"], 4)}
            for path, s in sorted(by_path.items())
        },
        "errors": errors,
    }
