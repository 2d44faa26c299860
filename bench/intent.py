"""Intent benchmark: edge-os's compiled grammar side by side with hassil on the same sentences.

Both recognise the sentences of ``bench/data/intent_{dev,train}.jsonl`` (made by
``bench/intent_data.py``) for the example home; hassil uses home-assistant-intents with the
home's entities and areas as slot lists and the satellite's area as context. Both are scored
by ``edge_os.intent.evaluate.score`` (hassil's slots are resolved to targets the same way as
gold slots). Writes ``bench/results/intent.json``. Run: ``.venv/bin/python bench/intent.py``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from intent_data import EXAMPLE_HOME, hassil_gold, hassil_setup  # noqa: E402

from edge_os.config.loader import load_config  # noqa: E402
from edge_os.config.settings import IntentSettings  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.engine import IntentEngine  # noqa: E402
from edge_os.intent.evaluate import Sample, gold_targets, load_samples, score  # noqa: E402
from edge_os.pipeline.stages import IntentResult  # noqa: E402

DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results"
RUNS = 3


class HassilRecognizer:
    """hassil + home-assistant-intents behind edge-os's IntentRecognizer protocol."""

    def __init__(self, registry: DeviceRegistry, area: str | None) -> None:
        self.registry = registry
        self.intents, self.lists = hassil_setup(registry)
        found = registry.area(area) if area else None
        self.context = {"area": found.name} if found else None

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise with hassil; slots resolved to targets like gold slots."""
        from hassil import recognize

        started = time.perf_counter()
        try:
            result = recognize(text, self.intents, self.lists, intent_context=self.context)
        except Exception:  # hassil raises on lists it lacks; a miss, as for a user
            result = None
        latency_ms = (time.perf_counter() - started) * 1000
        if result is None:
            return IntentResult(text, None, path="grammar", latency_ms=latency_ms)
        intent, slots = hassil_gold(result)
        targets = gold_targets(Sample(text, intent, slots), self.registry, area) or ()
        return IntentResult(text, intent, slots, targets, 1.0, "grammar", latency_ms)


def run(name: str, recognizer: Any, samples: list[Sample], registry: DeviceRegistry,
        area: str | None) -> dict[str, Any]:  # fmt: skip
    """Score once, then time ``RUNS`` passes (medians of p50/p95 across passes)."""
    metrics = score(samples, recognizer, registry, area)
    grammar = metrics["by_path"]["grammar"]  # both recognisers report one path, no fallback
    p50s, p95s = [grammar["p50_ms"]], [grammar["p95_ms"]]
    for _ in range(RUNS - 1):
        again = score(samples, recognizer, registry, area)["by_path"]["grammar"]
        p50s.append(again["p50_ms"])
        p95s.append(again["p95_ms"])
    metrics["p50_ms"] = round(statistics.median(p50s), 3)
    metrics["p95_ms"] = round(statistics.median(p95s), 3)
    metrics["errors"] = metrics["errors"][:8]
    print(f"{name}: {json.dumps({k: v for k, v in metrics.items() if k != 'errors'})}")
    return metrics


def by_source(path: Path, recognizer: Any, registry: DeviceRegistry, area: str | None
              ) -> dict[str, float]:  # fmt: skip
    """Intent accuracy per data source (hassil, asr, paraphrase, negative)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    out = {}
    for source in sorted({row["source"] for row in rows}):
        chosen = [Sample(r["text"], r["intent"], r["slots"]) for r in rows if r["source"] == source]
        out[source] = score(chosen, recognizer, registry, area)["exact_match"]
    return out


def main() -> int:
    """Run the benchmark and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where the JSON (and PNG) go"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    config = load_config(EXAMPLE_HOME)
    registry = DeviceRegistry.from_config(config)
    area = config.site.area
    started = time.perf_counter()
    engine = IntentEngine(registry, IntentSettings(cache_size=0), default_area=area)
    compile_ms = (time.perf_counter() - started) * 1000
    hassil = HassilRecognizer(registry, area)
    engine.recognize("warm up the fuzzy matcher", area=area)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared with other jobs)",
        "grammar_compile_ms": round(compile_ms, 1),
        "skeletons": len(engine.grammar.table),
    }
    for split in ("dev", "train"):
        path = DATA / f"intent_{split}.jsonl"
        samples = load_samples(path)
        results[split] = {
            "edge_os": run(f"{split}/edge-os", engine, samples, registry, area),
            "hassil": run(f"{split}/hassil", hassil, samples, registry, area),
            "exact_match_by_source": {
                "edge_os": by_source(path, engine, registry, area),
                "hassil": by_source(path, hassil, registry, area),
            },
        }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "intent.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    plot(results, out.with_suffix(".png"))
    return 0


def plot(results: dict[str, Any], out: Path) -> None:
    """Accuracy by source and p95 latency, edge-os beside hassil (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    dev = results["dev"]
    sources = sorted(dev["exact_match_by_source"]["edge_os"])
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    width = 0.38
    for offset, name, label in ((-width / 2, "edge_os", "edge-os grammar"), (width / 2, "hassil",
                                "hassil")):  # fmt: skip
        scores = [dev["exact_match_by_source"][name][source] for source in sources]
        left.bar([i + offset for i in range(len(sources))], scores, width, label=label)
    left.set_xticks(range(len(sources)), sources)
    left.set_ylabel("exact match (dev)")
    left.set_ylim(0, 1.05)
    left.legend(loc="lower left")
    names = ["edge-os grammar", "hassil"]
    right.bar(names, [dev["edge_os"]["p95_ms"], dev["hassil"]["p95_ms"]], color=["C0", "C1"])
    right.set_ylabel("p95 latency per sentence (ms)")
    right.set_yscale("log")
    figure.suptitle(f"Intent recognition on the example home ({results['machine']})")
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(main())
