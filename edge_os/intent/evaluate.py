"""``edge-os eval intents PATH...``: intent and slot accuracy, wrong actions, latency per path.

PATH is a JSONL file of gold lines, or Home Assistant intent test YAML (files or folders,
both of HA's formats; see :mod:`edge_os.intent.ha_tests`). A JSONL line is
``{"text", "intent", "slots"}`` (``intent`` null: the sentence must not be understood),
optionally ``"area"`` (where it was said, default ``site.area``) and ``"targets"`` (gold
entity ids); it runs against the config's registry. An HA test runs against its own home
(converted by :mod:`edge_os.intent.fixtures`) unless ``devices`` names one registry for all.
How a sentence is judged is :mod:`edge_os.intent.scoring`. Latency is reported per path
(grammar, llm, cache): a blended percentile would hide the slow path behind the fast one.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from edge_os.config.loader import load_config
from edge_os.config.settings import Config, IntentSettings
from edge_os.devices.registry import DeviceRegistry
from edge_os.errors import ErrorCode, UsageError
from edge_os.intent.engine import IntentEngine, load_fallback, load_retrieval
from edge_os.intent.fixtures import (
    EntityState,
    convert_ha_home,
    home_registry,
    read_ha_home,
    slug,
)
from edge_os.intent.ha_tests import HaTestSet, gold_value, is_ha_test_path, load_ha_tests
from edge_os.intent.scoring import (
    DURATION_KEYS,
    Sample,
    Verdict,
    area_id,
    gold_targets,
    judge,
    slot_correct,
)
from edge_os.intent.targets import why_asked
from edge_os.jsonl import read_objects
from edge_os.stages.protocols import IntentRecognizer, IntentResult

__all__ = [
    "DURATION_KEYS",
    "Sample",
    "area_id",
    "evaluate",
    "gold_targets",
    "load_samples",
    "score",
    "slot_correct",
]

MAX_ERRORS = 20
"""Failed sentences listed in the summary (all of them go to ``--rows``)."""
CONFIG_HOME = "config"


@dataclass
class Home:
    """A registry with the engine recognising against it."""

    registry: DeviceRegistry
    engine: IntentRecognizer
    default_area: str | None = None
    """Area id a sentence without context is said in."""
    states: Mapping[str, EntityState] = field(default_factory=dict)
    """HA states of the home's entities (HA homes only)."""


def load_samples(path: Path) -> list[Sample]:
    """Read a JSONL file of gold sentences; malformed lines are errors with their line."""
    samples = []
    for where, data in read_objects(path):
        if not isinstance(data.get("text"), str):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: expected an object with text")
        intent = data.get("intent")
        slots = data.get("slots") or {}
        targets = data.get("targets")
        area = data.get("area")
        if intent is not None and not isinstance(intent, str):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: intent must be a string or null")
        if not isinstance(slots, dict):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: slots must be an object")
        gold = {str(k): gold_value(v, f"{where}: slots.{k}") for k, v in slots.items()}
        samples.append(
            Sample(
                data["text"],
                intent,
                gold,
                str(area) if area is not None else None,
                tuple(map(str, targets)) if isinstance(targets, list) else None,
                source=where,
            )
        )
    return samples


def load_gold(paths: Iterable[Path]) -> tuple[list[Sample], HaTestSet]:
    """Samples of JSONL files and HA test files/folders, and the HA tests' homes."""
    samples: list[Sample] = []
    ha_paths = []
    for path in paths:
        if is_ha_test_path(path):
            ha_paths.append(path)
        else:
            samples.extend(load_samples(path))
    tests = load_ha_tests(ha_paths) if ha_paths else HaTestSet()
    samples.extend(
        Sample(
            t.text,
            t.intent,
            t.slots,
            t.area,
            home=str(t.home),
            source=t.source,
            response=t.response,
        )
        for t in tests.tests
    )
    return samples, tests


def evaluate(
    path: Path | Sequence[Path],
    config: Config,
    *,
    devices: Path | None = None,
    rows: Path | None = None,
    llm: bool = True,
    area: str | None = None,
) -> dict[str, Any]:
    """Run every gold sentence of ``path`` through the intent engine and score it.

    ``devices``: one registry for every sentence, an HA test home or an edge-os config
    (whose settings then apply too). ``rows``: write one JSON line per sentence there.
    ``llm`` False turns the model paths off (the sentence encoder and the LLM). ``area``:
    the satellite's area (name or id) for sentences that give none, in every home that has
    it (added to HA test homes that declare no areas at all).
    """
    paths = [path] if isinstance(path, Path) else list(path)
    samples, tests = load_gold(paths)
    if not samples:
        skipped = ", ".join(f"{k} ({v})" for k, v in sorted(tests.skipped_intents.items()))
        raise UsageError(
            ErrorCode.CONFIG_INVALID,
            f"{', '.join(map(str, paths))}: no samples of intents edge-os serves"
            + (f" (skipped: {skipped})" if skipped else ""),
        )
    converted = read_ha_home(devices) if devices is not None else None
    if devices is not None and converted is None:
        config = load_config(devices)  # an edge-os config: its settings apply too
    settings = config.intent.model_copy(
        update={
            "cache_size": 0,
            **({} if llm else {"llm_fallback": False, "retrieval": False}),
        }
    )
    fixed: Home | None = None
    if converted is not None:
        registry = home_registry(converted, str(devices))
        fixed = _home(registry, settings, config, _where(registry, area), converted.states)
    elif devices is not None:
        fixed = _home(DeviceRegistry.from_config(config), settings, config, config.site.area)
    homes: dict[str, Home] = {}

    def home_of(sample: Sample) -> Home:
        if fixed is not None:
            return fixed
        key = sample.home or CONFIG_HOME
        if key not in homes:
            if sample.home is None:
                registry = DeviceRegistry.from_config(config)
                homes[key] = _home(registry, settings, config, config.site.area)
            else:
                home = convert_ha_home(tests.homes[Path(key)], key)
                if area is not None and not home.config["areas"]:
                    # a test home of no areas still has a satellite standing somewhere
                    home.config["areas"].append({"id": slug(area, "area"), "name": area})
                registry = home_registry(home, key)
                where = _where(registry, area)
                homes[key] = _home(registry, settings, config, where, home.states)
        return homes[key]

    out = _open_rows(rows)
    try:
        summary = run(samples, home_of, out, settings.model_act_confidence)
    finally:
        if out is not None:
            out.close()
    summary["skipped_intents"] = dict(sorted(tests.skipped_intents.items()))
    return summary


def _where(registry: DeviceRegistry, area: str | None) -> str | None:
    """The id of ``area`` (a name or id) in ``registry``, or None where it has no such area."""
    return area_id(registry, area) if area is not None else None


def _home(
    registry: DeviceRegistry,
    settings: IntentSettings,
    config: Config,
    default_area: str | None,
    states: Mapping[str, EntityState] | None = None,
) -> Home:
    fallback = load_fallback(registry, settings, config.state_dir)
    retrieval = load_retrieval(
        registry, settings, config.state_dir, default_area, config.site.language
    )
    engine = IntentEngine(
        registry,
        settings,
        retrieval=retrieval,
        default_area=default_area,
        fallback=fallback,
        language=config.site.language,
    )
    return Home(registry, engine, default_area, states or {})


def _open_rows(rows: Path | None) -> IO[str] | None:
    if rows is None:
        return None
    try:
        return rows.open("w", encoding="utf-8")
    except OSError as err:
        raise UsageError(
            ErrorCode.CONFIG_NOT_FOUND, f"{rows}: cannot write: {err.strerror or err}"
        ) from None


def score(
    samples: Sequence[Sample], engine: Any, registry: DeviceRegistry, default_area: str | None
) -> dict[str, Any]:
    """Metrics of ``engine`` (any IntentRecognizer) on gold ``samples``, all in one home."""
    home = Home(registry, engine, default_area)
    return run(samples, lambda _sample: home)


def run(
    samples: Sequence[Sample],
    home_of: Callable[[Sample], Home],
    rows: IO[str] | None = None,
    act_confidence: float = IntentSettings().model_act_confidence,
) -> dict[str, Any]:
    """Recognise and judge every sample in its home (``home_of(sample) -> Home``)."""
    scored: list[tuple[Sample, IntentResult, Verdict]] = []
    asked: list[bool] = []
    for sample in samples:
        home = home_of(sample)
        area = area_id(home.registry, sample.area) if sample.area is not None else None
        here = area or home.default_area
        result, verdict = judged(sample, read_as_said(home.engine, sample.text, here), home, here)
        scored.append((sample, result, verdict))
        asked.append(asked_first(result, home.registry, act_confidence))
        if rows is not None:
            row = _row(sample, result, verdict)
            row["danger"], row["asked_first"] = verdict.danger, asked[-1]
            if home.states:  # what an HA home says the targets read, to check answers by
                row["target_states"] = {
                    t: home.states[t].state for t in result.targets if t in home.states
                }
            rows.write(json.dumps(row, ensure_ascii=False) + "\n")
    return summarize(scored, asked)


def read_as_said(engine: Any, text: str, area: str | None) -> list[IntentResult]:
    """What the command path does with ``text``: every command in it
    (``IntentEngine.recognize_all``: "turn off the lights and lock the front door" is two),
    or the one reading of a recognizer that reads only one."""
    recognize_all = getattr(engine, "recognize_all", None)
    if recognize_all is None:
        return [engine.recognize(text, area=area)]
    return list(recognize_all(text, area=area)) or [IntentResult(text=text, intent=None)]


def judged(
    sample: Sample, parts: Sequence[IntentResult], home: Home, area: str | None
) -> tuple[IntentResult, Verdict]:
    """The reading that counts and its verdict: the one reading, or of several commands
    read from a sentence with one gold, the worst (never exact: one gold is one command)."""
    verdicts = [judge(sample, part, home.registry, area) for part in parts]
    if len(parts) == 1:
        return parts[0], verdicts[0]
    worst = next(
        (i for i, v in enumerate(verdicts) if v.danger is not None),
        next((i for i, v in enumerate(verdicts) if v.wrong_action), 0),
    )
    verdict = verdicts[worst]
    if verdict.exact:
        verdict = replace(verdict, exact=False, reason="several", detail=f"{len(parts)} commands")
    return parts[worst], verdict


def _row(sample: Sample, result: IntentResult, verdict: Verdict) -> dict[str, Any]:
    return {
        "text": sample.text,
        "gold": sample.intent,
        "gold_slots": dict(sample.slots),
        "got": result.intent,
        "slots": dict(result.slots),
        "targets": list(result.targets),
        "path": result.path,
        "confidence": round(result.confidence, 3),
        "latency_ms": round(result.latency_ms, 3),
        "exact": verdict.exact,
        "action": verdict.action,
        "reason": verdict.reason,
        "detail": verdict.detail,
        "area": sample.area,
        "source": sample.source,
        "response": sample.response,
    }


def asked_first(
    result: IntentResult,
    registry: DeviceRegistry,
    act_confidence: float = IntentSettings().model_act_confidence,
) -> bool:
    """Whether the command path would ask before acting on ``result``: an LLM reading, a
    learned reading below ``act_confidence``, many devices of several kinds, or a
    sensitive device."""
    if why_asked(result, registry, act_confidence) is not None:
        return True
    return any(e is not None and e.is_sensitive for e in map(registry.get, result.targets))


def _dangers(judged: Sequence[tuple[Verdict, bool]]) -> dict[str, Any]:
    """Dangerous wrong actions by kind, and how many would be done without asking."""
    dangerous = [(v, asked) for v, asked in judged if v.danger is not None]
    return {
        "n": len(dangerous),
        "unasked": sum(not asked for _, asked in dangerous),
        "kinds": dict(Counter(str(v.danger) for v, _ in dangerous).most_common()),
    }


def summarize(
    scored: Sequence[tuple[Sample, IntentResult, Verdict]], asked: Sequence[bool] = ()
) -> dict[str, Any]:
    """The metrics of judged sentences: overall, per path and per gold intent."""
    n = len(scored)
    verdicts = [v for _, _, v in scored]
    slots_total = sum(v.slots_total for v in verdicts)
    by_path: dict[str, list[tuple[IntentResult, Verdict]]] = {}
    by_intent: dict[str, list[Verdict]] = {}
    for sample, result, verdict in scored:
        by_path.setdefault(result.path, []).append((result, verdict))
        by_intent.setdefault(sample.intent or "none", []).append(verdict)
    gold_errors = Counter(v.gold_error for v in verdicts if v.gold_error)
    return {
        "n": n,
        "intent_accuracy": _rate(sum(v.intent_ok for v in verdicts), n),
        "slot_accuracy": _rate(sum(v.slots_ok for v in verdicts), slots_total, 1.0),
        "exact_match": _rate(sum(v.exact for v in verdicts), n),
        "not_understood": sum(v.reason == "not-understood" for v in verdicts),
        "false_accept": sum(v.reason == "false-accept" for v in verdicts),
        "wrong_action": sum(v.wrong_action for v in verdicts),
        "wrong_action_rate": _rate(sum(v.wrong_action for v in verdicts), n),
        "missed_action": sum(v.action == "missed-action" for v in verdicts),
        "dangerous": _dangers(list(zip(verdicts, asked or [False] * n, strict=True))),
        "partial_action": sum(v.action == "partial-action" for v in verdicts),
        "gold_errors": {"n": sum(gold_errors.values()), "reasons": dict(gold_errors.most_common())},
        "by_path": {
            path: {
                "n": len(items),
                "intent_accuracy": _rate(sum(v.intent_ok for _, v in items), len(items)),
                "exact_match": _rate(sum(v.exact for _, v in items), len(items)),
                "p50_ms": round(percentile([r.latency_ms for r, _ in items], 50), 3),
                "p95_ms": round(percentile([r.latency_ms for r, _ in items], 95), 3),
            }
            for path, items in sorted(by_path.items())
        },
        "by_intent": {
            intent: {
                "n": len(items),
                "exact_match": _rate(sum(v.exact for v in items), len(items)),
                "intent_accuracy": _rate(sum(v.intent_ok for v in items), len(items)),
                "gold_errors": sum(v.gold_error is not None for v in items),
            }
            for intent, items in sorted(by_intent.items())
        },
        "failures": dict(Counter(v.reason for v in verdicts if v.reason).most_common()),
        "errors": [
            {
                "text": s.text,
                "gold": s.intent,
                "got": r.intent,
                "slots": dict(r.slots),
                "targets": list(r.targets),
                "reason": v.reason,
                "detail": v.detail,
            }
            for s, r, v in scored
            if not v.exact
        ][:MAX_ERRORS],
    }


def _rate(count: int, total: int, empty: float = 0.0) -> float:
    return round(count / total, 4) if total else empty


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation), 0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
