"""Intent benchmark: edge-os's compiled grammar beside hassil, same sentences, same homes.

Both read the same templates (the pinned ``home-assistant-intents``, served intents, plus
edge-os's small overlay); hassil
is given what Home Assistant gives it (names with their domain and device class as
context, areas, floors, the satellite's area) and ranks with ``best_slot_name="name"`` as
Home Assistant does. Both results are resolved to targets the same way and judged by
``edge_os.intent.scoring`` (the scorer of ``edge-os eval intents``).

Data, in order of how much it says:
1. ``ha-tests``: Home Assistant's own English test files (``bench/data/ha-intents-tests``),
   held out: nothing in edge-os was tuned on them.
2. ``sampled``: sentences sampled from the templates over the example home and HA's fixture
   home (``tests/intent/data/sampled_*.jsonl``, made by ``bench/sample_intents.py``).
3. ``home-150``: latency only, on a generated 150-entity home (15 rooms x 10 devices).
4. ``slips``: the example home's samples as a transcript may hold them (the wake phrase
   left in, fillers, numbers as words, one misheard word): what edge-os adds to hassil.

The two recognisers run interleaved, ``--rounds`` times; latencies are the median over
rounds of each round's p50/p95. Compile time is measured cold, in a fresh process, on one
core (``taskset`` when available). Writes ``bench/results/intent.json`` and a plot.
Run: ``.venv/bin/python bench/intent.py [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.plotting import pyplot  # noqa: E402
from edge_os.config.loader import load_config, parse_config  # noqa: E402
from edge_os.config.settings import IntentSettings  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.engine import IntentEngine  # noqa: E402
from edge_os.intent.evaluate import Home, load_gold, load_samples, percentile, run  # noqa: E402
from edge_os.intent.fixtures import convert_ha_home, home_registry, slug  # noqa: E402
from edge_os.intent.scoring import Sample, area_id  # noqa: E402
from edge_os.intent.sentences import load_library  # noqa: E402
from edge_os.intent.targets import intent_targets  # noqa: E402
from edge_os.stages.protocols import IntentRecognizer, IntentResult, SlotValue  # noqa: E402

DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results"
HA_TESTS = DATA / "ha-intents-tests" / "en"
SAMPLED = {
    "example-home": (REPO / "tests/intent/data/sampled_example_home.jsonl", "example"),
    "ha-fixture": (REPO / "tests/intent/data/sampled_ha_fixture.jsonl", "fixture"),
}
EXAMPLE_HOME = REPO / "devices" / "example-home.yaml"
HA_FIXTURE = HA_TESTS / "_fixtures.yaml"


class HassilRecognizer:
    """hassil + home-assistant-intents behind edge-os's IntentRecognizer protocol."""

    def __init__(self, registry: DeviceRegistry, default_area: str | None) -> None:
        from hassil.intents import TextSlotList

        # the very templates edge-os compiles: HA's served intents plus edge-os's overlay
        self.intents = load_library("en").intents
        self.registry = registry
        self.default_area = default_area
        names: list[tuple[str, str, dict[str, str]]] = []
        self.ids: dict[str, list[str]] = {}
        for entity in registry:
            context = {"domain": entity.domain.value}
            if entity.device_class:
                context["device_class"] = entity.device_class
            for spoken in (entity.name, *entity.aliases):
                names.append((spoken, entity.name, context))
            self.ids.setdefault(entity.name, []).append(entity.id)
        areas = [(n, a.id) for a in registry.areas for n in (a.name, *a.aliases)]
        floors = [(n, f.id) for f in registry.floors for n in (f.name, *f.aliases)]
        self.lists = {
            "name": TextSlotList.from_tuples(names, allow_template=False),
            "area": TextSlotList.from_tuples(areas, allow_template=False),
            "floor": TextSlotList.from_tuples(floors, allow_template=False),
        }

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise with hassil; targets resolved as edge-os resolves its own results."""
        from hassil import recognize_best

        here = area or self.default_area
        found = self.registry.area(here) if here else None
        context = {"area": {"value": found.id, "text": found.name}} if found else None
        started = time.perf_counter()
        try:
            result = recognize_best(
                text, self.intents, self.lists, intent_context=context, best_slot_name="name"
            )
        except Exception:  # hassil raises on a list it lacks: a miss, as for a user
            result = None
        latency_ms = (time.perf_counter() - started) * 1000
        if result is None:
            return IntentResult(text, None, latency_ms=latency_ms)
        intent = result.intent.name
        slots: dict[str, SlotValue] = {
            k: e.value for k, e in result.entities.items() if not isinstance(e.value, dict)
        }
        named = self.ids.get(str(slots["name"]), []) if "name" in result.entities else []
        if "name" in result.entities and result.entities["name"].is_wildcard:
            named = []
        targets = intent_targets(self.registry, intent, slots, named, here)
        return IntentResult(text, intent, slots, targets, 1.0, "grammar", latency_ms)


def edge_engine(registry: DeviceRegistry, area: str | None) -> IntentRecognizer:
    """edge-os's intent engine with the model path off and no cache (the grammar alone)."""
    settings = IntentSettings(cache_size=0, llm_fallback=False)
    return IntentEngine(registry, settings, default_area=area)


Factory = Callable[[DeviceRegistry, str | None], IntentRecognizer]


def score_both(
    samples: Sequence[Sample], homes: Callable[[Sample], tuple[str, DeviceRegistry, str | None]],
    rounds: int,
) -> dict[str, Any]:  # fmt: skip
    """Judge edge-os and hassil on ``samples``, interleaved ``rounds`` times."""
    built: dict[tuple[str, str], Home] = {}

    def home_for(name: str, factory: Factory) -> Callable[[Sample], Home]:
        def home_of(sample: Sample) -> Home:
            key, registry, area = homes(sample)
            if (name, key) not in built:
                built[(name, key)] = Home(registry, factory(registry, area), area)
            return built[(name, key)]

        return home_of

    peers: dict[str, Factory] = {"edge_os": edge_engine, "hassil": HassilRecognizer}
    summaries: dict[str, list[dict[str, Any]]] = {name: [] for name in peers}
    verdicts: dict[str, list[bool]] = {}
    for _ in range(rounds):
        for name, factory in peers.items():
            rows = io.StringIO()
            summaries[name].append(run(samples, home_for(name, factory), rows))
            verdicts[name] = [json.loads(line)["exact"] for line in rows.getvalue().splitlines()]
    out: dict[str, Any] = {}
    for name, runs in summaries.items():
        first = dict(runs[0])
        grammar = [r["by_path"].get("grammar", {}) for r in runs]
        first["p50_ms"] = round(statistics.median(g.get("p50_ms", 0.0) for g in grammar), 3)
        first["p95_ms"] = round(statistics.median(g.get("p95_ms", 0.0) for g in grammar), 3)
        first.pop("failures", None)
        out[name] = first
    out["same_exact_verdicts"] = round(
        sum(a == b for a, b in zip(verdicts["edge_os"], verdicts["hassil"], strict=True))
        / max(len(samples), 1),
        4,
    )
    edge, peer = out["edge_os"], out["hassil"]
    out["p50_ratio_hassil_over_edge_os"] = round(peer["p50_ms"] / max(edge["p50_ms"], 1e-9), 1)
    out["p95_ratio_hassil_over_edge_os"] = round(peer["p95_ms"] / max(edge["p95_ms"], 1e-9), 1)
    return out


SATELLITE = "Living Room"
"""Where the satellite stands when a test names no area (as ``eval intents --area``)."""


def ha_tests(rounds: int) -> dict[str, Any]:
    """Both recognisers on HA's test files, each in its own home, said in the living room."""
    samples, tests = load_gold([HA_TESTS])
    registries: dict[str, DeviceRegistry] = {}

    def homes(sample: Sample) -> tuple[str, DeviceRegistry, str | None]:
        key = sample.home or ""
        if key not in registries:
            home = convert_ha_home(tests.homes[Path(key)], key)
            if not home.config["areas"]:  # the satellite stands somewhere
                home.config["areas"].append({"id": slug(SATELLITE, "area"), "name": SATELLITE})
            registries[key] = home_registry(home, key)
        return key, registries[key], area_id(registries[key], SATELLITE)

    result = score_both(samples, homes, rounds)
    result["skipped_intents"] = dict(sorted(tests.skipped_intents.items()))
    return result


def _fixture_registry() -> DeviceRegistry:
    home = convert_ha_home(yaml.safe_load(HA_FIXTURE.read_text(encoding="utf-8")), "fixture")
    return home_registry(home, str(HA_FIXTURE))


def sampled(rounds: int) -> dict[str, Any]:
    """Both recognisers on the template-sampled sentences of the two homes."""
    example = load_config(EXAMPLE_HOME)
    registries = {
        "example": (DeviceRegistry.from_config(example), example.site.area),
        "fixture": (_fixture_registry(), None),
    }
    out = {}
    for name, (path, key) in SAMPLED.items():
        registry, area = registries[key]
        samples = load_samples(path)
        out[name] = score_both(samples, lambda _s, k=key, r=registry, a=area: (k, r, a), rounds)
    return out


SLIPS = {"light": "lite", "lights": "lites", "kitchen": "kitchin", "lamp": "lamb",
         "bedroom": "bed room", "temperature": "temprature", "machine": "machin",
         "thermostat": "thermostats", "off": "of", "blinds": "blind"}  # fmt: skip
"""Slips a transcript may hold, written here (one per sentence): they show the repair works,
not how often Whisper makes them."""
UNITS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def spelled(number: int) -> str:
    """0-100 in English words ("forty five")."""
    if number < 20:
        return UNITS[number]
    if number == 100:
        return "one hundred"
    tens, units = divmod(number, 10)
    return TENS[tens - 2] + (f" {UNITS[units]}" if units else "")


def corruptions(text: str) -> dict[str, str]:
    """The sentence as a transcript may hold it: each kind where it applies."""
    out = {"wake phrase left in": f"hey jarvis {text}", "fillers": f"um, just {text}"}
    numbers = re.sub(r"(?<![\d./])(\d{1,2}|100)(?![\d./])", lambda m: spelled(int(m[1])), text)
    if numbers != text:
        out["numbers as words"] = numbers
    words_ = text.split()
    for index, word in enumerate(words_):
        if word.lower() in SLIPS:
            out["misheard word"] = " ".join(
                [*words_[:index], SLIPS[word.lower()], *words_[index + 1 :]]
            )
            break
    return out


def slips(rounds: int) -> dict[str, Any]:
    """Both recognisers on the example home's samples as transcripts hold them, per kind."""
    example = load_config(EXAMPLE_HOME)
    registry, area = DeviceRegistry.from_config(example), example.site.area
    kinds: dict[str, list[Sample]] = {}
    for sample in load_samples(SAMPLED["example-home"][0]):
        for kind, text in corruptions(sample.text).items():
            kinds.setdefault(kind, []).append(replace(sample, text=text))
    out = {}
    for kind, samples in sorted(kinds.items()):
        both = score_both(samples, lambda _s: ("example", registry, area), 1)
        out[kind] = {
            "n": len(samples),
            **{
                p: {k: both[p][k] for k in ("exact_match", "wrong_action")}
                for p in ("edge_os", "hassil")
            },
        }
    return out


ROOMS = ("kitchen", "living room", "bedroom", "office", "hallway", "garage", "garden",
         "bathroom", "guest room", "dining room", "attic", "basement", "nursery",
         "laundry room", "study")  # fmt: skip
KINDS = (("light", "ceiling light", ["brightness", "color_temp"]),
         ("light", "lamp", ["brightness", "color"]), ("light", "spotlights", ["brightness"]),
         ("switch", "plug", []), ("fan", "fan", ["percentage"]), ("cover", "blinds", ["position"]),
         ("media_player", "speaker", ["volume", "pause", "tracks", "mute"]),
         ("climate", "thermostat", ["temperature"]), ("sensor", "temperature sensor", []),
         ("light", "strip", ["brightness", "color"]))  # fmt: skip
UPSTAIRS = {"bedroom", "office", "nursery", "study", "guest room", "attic"}


def big_home() -> DeviceRegistry:
    """15 rooms x 10 devices = 150 entities on two floors."""
    areas, entities = [], []
    for room in ROOMS:
        room_id = room.replace(" ", "_")
        floor = "upstairs" if room in UPSTAIRS else "ground floor"
        areas.append({"id": room_id, "name": room.title(), "floor": floor})
        for domain, kind, capabilities in KINDS:
            object_id = f"{room_id}_{kind.replace(' ', '_')}"
            entity: dict[str, Any] = {
                "id": f"{domain}.{object_id}",
                "name": f"{room} {kind}",
                "area": room_id,
                "mqtt": {
                    "command_topic": f"home/{object_id}/set",
                    "state_topic": f"home/{object_id}",
                },
            }
            if capabilities:
                entity["capabilities"] = capabilities
            if domain == "sensor":
                entity["device_class"] = "temperature"
                del entity["mqtt"]["command_topic"]
            entities.append(entity)
    text = yaml.safe_dump({"areas": areas, "entities": entities})
    return DeviceRegistry.from_config(parse_config(text, "home-150.yaml", REPO))


def big_home_sentences(count: int = 600, seed: int = 7) -> list[str]:
    """Commands and questions a person would say in that home, in and out of the grammar."""
    rng = random.Random(seed)
    forms = (
        "turn on the {room} {kind}", "turn off the lights in the {room}", "{room} lights off",
        "set the {room} lamp to {n} percent", "what is the temperature in the {room}",
        "is the {room} {kind} on", "set the {room} thermostat to {t} degrees",
        "which lights are on in the {room}", "what time is it", "set a timer for {n} minutes",
        "turn off all the lights upstairs", "open the {room} blinds", "pause the {room} speaker",
        "set the {room} fan speed to {n} percent", "turn on the {room} lite",
        "tell me a joke about the weather",
    )  # fmt: skip
    out = []
    for _ in range(count):
        form, kind, room = rng.choice(forms), rng.choice(KINDS)[1], rng.choice(ROOMS)
        out.append(form.format(room=room, kind=kind, n=rng.randint(1, 99), t=rng.randint(16, 26)))
    return out


def home_150(rounds: int) -> dict[str, Any]:
    """Latency on a 150-entity home, and how often the two agree on intent and slots."""
    registry = big_home()
    sentences = big_home_sentences()
    peers = {"edge_os": edge_engine(registry, "kitchen"),
             "hassil": HassilRecognizer(registry, "kitchen")}  # fmt: skip
    p50s: dict[str, list[float]] = {name: [] for name in peers}
    p95s: dict[str, list[float]] = {name: [] for name in peers}
    last: dict[str, list[IntentResult]] = {}
    for _ in range(rounds):
        for name, peer in peers.items():
            results = [peer.recognize(s) for s in sentences]
            latencies = [r.latency_ms for r in results]
            p50s[name].append(percentile(latencies, 50))
            p95s[name].append(percentile(latencies, 95))
            last[name] = results
    agree = sum(
        a.intent == b.intent and dict(a.slots) == dict(b.slots)
        for a, b in zip(last["edge_os"], last["hassil"], strict=True)
    )
    out: dict[str, Any] = {"entities": len(registry), "sentences": len(sentences)}
    for name in peers:
        out[name] = {
            "p50_ms": round(statistics.median(p50s[name]), 3),
            "p95_ms": round(statistics.median(p95s[name]), 3),
            "understood": sum(r.understood for r in last[name]),
        }
    out["same_intent_and_slots"] = round(agree / len(sentences), 4)
    out["p50_ratio_hassil_over_edge_os"] = round(
        out["hassil"]["p50_ms"] / max(out["edge_os"]["p50_ms"], 1e-9), 1
    )
    out["p95_ratio_hassil_over_edge_os"] = round(
        out["hassil"]["p95_ms"] / max(out["edge_os"]["p95_ms"], 1e-9), 1
    )
    return out


COMPILE_CHILD = """
import time; t = time.perf_counter()
from edge_os.intent.sentences import load_library
library = load_library("en"); t1 = time.perf_counter()
import sys; sys.path.insert(0, "bench")
from intent import big_home
from edge_os.intent.grammar import GrammarRecognizer
registry = big_home(); t2 = time.perf_counter()
GrammarRecognizer(registry, "kitchen"); t3 = time.perf_counter()
print(round((t1 - t) * 1000, 1), round((t3 - t2) * 1000, 1), library.automaton.size)
"""


def compile_time() -> dict[str, Any]:
    """Cold compile in a fresh process on one core: library + automaton, then a 150-entity home."""
    argv = [sys.executable, "-c", COMPILE_CHILD]
    if shutil.which("taskset"):
        argv = ["taskset", "-c", "0", *argv]
    runs = []
    for _ in range(3):
        done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=True)
        runs.append([float(x) for x in done.stdout.split()])
    return {
        "library_and_automaton_ms": statistics.median(r[0] for r in runs),
        "registry_lists_150_entities_ms": statistics.median(r[1] for r in runs),
        "automaton_states": int(runs[0][2]),
        "one_core": bool(shutil.which("taskset")),
    }


def main() -> int:
    """Run every part and write the JSON results (and a plot)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per peer")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where results go")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from importlib.metadata import version

    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared with other jobs)",
        "versions": {p: version(p) for p in ("hassil", "home-assistant-intents")},
        "compile": compile_time(),
    }
    results["ha_tests"] = ha_tests(args.rounds)
    results["sampled"] = sampled(args.rounds)
    results["home_150"] = home_150(args.rounds)
    results["slips"] = slips(args.rounds)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "intent.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    brief = {
        "ha_tests": {k: _brief(results["ha_tests"][k]) for k in ("edge_os", "hassil")},
        "sampled": {
            home: {k: _brief(v[k]) for k in ("edge_os", "hassil")}
            for home, v in results["sampled"].items()
        },
        "home_150": results["home_150"],
        "slips": results["slips"],
        "compile": results["compile"],
    }
    print(json.dumps(brief, indent=2))
    print(f"wrote {out}")
    plot(results, out.with_suffix(".png"))
    return 0


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("n", "exact_match", "intent_accuracy", "not_understood", "wrong_action", "p50_ms",
            "p95_ms")  # fmt: skip
    return {k: summary.get(k) for k in keys}


def plot(results: dict[str, Any], out: Path) -> None:
    """Exact match per data set and p50/p95 per data set, edge-os beside hassil."""
    plt = pyplot()
    if plt is None:
        return
    sets = {"HA tests": results["ha_tests"]}
    sets.update({f"sampled: {k}": v for k, v in results["sampled"].items()})
    names = list(sets)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.38
    peers = ((-width / 2, "edge_os", "edge-os"), (width / 2, "hassil", "hassil"))
    for offset, peer, label in peers:
        xs = [i + offset for i in range(len(names))]
        left.bar(xs, [sets[n][peer]["exact_match"] for n in names], width, label=label)
        lat = [*(sets[n][peer]["p95_ms"] for n in names), results["home_150"][peer]["p95_ms"]]
        right.bar([i + offset for i in range(len(lat))], lat, width, label=label)
    left.set_xticks(range(len(names)), names, rotation=15)
    left.set_ylabel("exact match")
    left.set_ylim(0, 1)
    left.legend()
    right.set_xticks(range(len(names) + 1), [*names, "150-entity home"], rotation=15)
    right.set_ylabel("p95 ms per sentence")
    right.set_yscale("log")
    right.legend()
    figure.suptitle(f"intents: edge-os vs hassil ({results['machine']})")
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(main())
