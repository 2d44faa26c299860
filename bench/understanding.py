"""Understanding benchmark: what people wrote, read by the grammar alone, by the grammar and
the learned reader (edge-os's default), and by hassil with Home Assistant's context.

Data: ``bench/data/natural`` (home-llm's phrase piles, MIT; see its README) and
``bench/data/slurp`` (SLURP's test split: requests people said to a home assistant, CC BY
4.0; see its README). Figures are quoted from the held-out parts only (``*-heldout``),
which nothing in edge-os was tuned on; the tune parts (``tune``, ``absent-tune``, and
``written-*``: requests edge-os's developers wrote, ``bench/data/written``) are reported
beside them for reference.

* ``heldout`` / ``tune``: one request a line (on/off, state questions, media, vacuums...);
* ``absent``: requests for devices the home does not have: nothing may move;
* ``relative``: "dim the porch light";
* ``multi``: several requests in one sentence (read with ``IntentEngine.recognize_all``);
* ``heldout-unseen``: the held-out lines whose plain sentence is not in the reader's
  training phrases (the tune part, made plain, is training data, and the piles repeat
  phrasings across devices): the figure to quote for sentences the reader never saw;
* ``slurp-heldout``: SLURP's home-control, volume, time and alarm requests, against
  ``bench/data/slurp/home.yaml``; ``slurp-other-heldout``: the rest of SLURP's test
  requests (calendar, weather, email, ...), which this home cannot serve: nothing may move.
* ``blind-heldout``: 300 requests written by a helper session against the SLURP home and
  never read line by line by whoever tunes the reader (``bench/data/blind``);
  ``blind-example-heldout``: 300 more, written the same way against the example home
  (``bench/data/blind-example``, 2026-11-30).

Dangerous actions are counted as ``edge-os eval intents`` counts them (wrong device,
opposite direction, a value off by more than a step, a question acted on, an action nobody
asked for), with how many the command path would have done without asking. Risk against
coverage: sentences answered and wrong ones among them as the learned reader's confidence
threshold moves. The three readers run interleaved, ``--rounds`` times; latencies are the
median over rounds of each round's p50/p95.

Writes ``bench/results/understanding.json`` and ``.png``.
Run: ``.venv/bin/python bench/understanding.py [--rounds 3]`` (the sentence encoder must be
built: ``edge-os models build embed``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.intent import HassilRecognizer  # noqa: E402
from bench.plotting import pyplot  # noqa: E402
from edge_os.config.loader import load_config  # noqa: E402
from edge_os.config.settings import Config, IntentSettings  # noqa: E402
from edge_os.devices.registry import DeviceRegistry  # noqa: E402
from edge_os.intent.engine import IntentEngine, load_retrieval  # noqa: E402
from edge_os.intent.evaluate import Home, load_samples, percentile, run  # noqa: E402
from edge_os.intent.plan import plan  # noqa: E402
from edge_os.intent.scoring import Sample  # noqa: E402
from edge_os.stages.protocols import IntentRecognizer, IntentResult  # noqa: E402

DATA = REPO / "bench" / "data"
NATURAL = DATA / "natural"
RESULTS = REPO / "bench" / "results"
SETS: dict[str, tuple[Path, Path]] = {
    "heldout": (NATURAL / "heldout.jsonl", NATURAL / "home.yaml"),
    "absent-heldout": (NATURAL / "absent-heldout.jsonl", NATURAL / "home.yaml"),
    "relative-heldout": (NATURAL / "relative-heldout.jsonl", NATURAL / "home.yaml"),
    "slurp-heldout": (DATA / "slurp" / "heldout.jsonl", DATA / "slurp" / "home.yaml"),
    "slurp-other-heldout": (DATA / "slurp" / "other-heldout.jsonl", DATA / "slurp" / "home.yaml"),
    "blind-heldout": (DATA / "blind" / "heldout.jsonl", DATA / "slurp" / "home.yaml"),
    "blind-example-heldout": (
        DATA / "blind-example" / "heldout.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "tune": (NATURAL / "tune.jsonl", NATURAL / "home.yaml"),
    "absent-tune": (NATURAL / "absent-tune.jsonl", NATURAL / "home.yaml"),
    "written-tune": (DATA / "written" / "tune.jsonl", DATA / "slurp" / "home.yaml"),
    "written-example-home-tune": (
        DATA / "written" / "tune-example-home.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-slurp-home-2-tune": (
        DATA / "written" / "tune-slurp-home-2.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-slurp-home-3-tune": (
        DATA / "written" / "tune-slurp-home-3.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-example-home-2-tune": (
        DATA / "written" / "tune-example-home-2.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-example-home-3-tune": (
        DATA / "written" / "tune-example-home-3.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-natural-home-tune": (
        DATA / "written" / "tune-natural-home.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-natural-home-2-tune": (
        DATA / "written" / "tune-natural-home-2.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-slurp-home-4-tune": (
        DATA / "written" / "tune-slurp-home-4.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-slurp-home-5-tune": (
        DATA / "written" / "tune-slurp-home-5.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-slurp-home-6-tune": (
        DATA / "written" / "tune-slurp-home-6.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-example-home-4-tune": (
        DATA / "written" / "tune-example-home-4.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-natural-home-3-tune": (
        DATA / "written" / "tune-natural-home-3.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-example-home-5-tune": (
        DATA / "written" / "tune-example-home-5.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-natural-home-4-tune": (
        DATA / "written" / "tune-natural-home-4.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-slurp-home-7-tune": (
        DATA / "written" / "tune-slurp-home-7.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-example-home-6-tune": (
        DATA / "written" / "tune-example-home-6.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-natural-home-5-tune": (
        DATA / "written" / "tune-natural-home-5.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-slurp-home-8-tune": (
        DATA / "written" / "tune-slurp-home-8.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-example-home-7-tune": (
        DATA / "written" / "tune-example-home-7.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-natural-home-6-tune": (
        DATA / "written" / "tune-natural-home-6.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-example-home-8-tune": (
        DATA / "written" / "tune-example-home-8.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-natural-home-7-tune": (
        DATA / "written" / "tune-natural-home-7.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-slurp-home-9-tune": (
        DATA / "written" / "tune-slurp-home-9.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-natural-home-8-tune": (
        DATA / "written" / "tune-natural-home-8.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-natural-home-9-tune": (
        DATA / "written" / "tune-natural-home-9.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-example-home-9-tune": (
        DATA / "written" / "tune-example-home-9.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-slurp-home-10-tune": (
        DATA / "written" / "tune-slurp-home-10.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-natural-home-10-tune": (
        DATA / "written" / "tune-natural-home-10.jsonl",
        NATURAL / "home.yaml",
    ),
    "written-example-home-10-tune": (
        DATA / "written" / "tune-example-home-10.jsonl",
        REPO / "devices" / "example-home.yaml",
    ),
    "written-slurp-home-11-tune": (
        DATA / "written" / "tune-slurp-home-11.jsonl",
        DATA / "slurp" / "home.yaml",
    ),
    "written-natural-home-11-tune": (
        DATA / "written" / "tune-natural-home-11.jsonl",
        NATURAL / "home.yaml",
    ),
}
"""Gold sets scored, each against its home; ``heldout-unseen`` (held-out lines the reader
never saw made plain) is added from ``heldout``."""
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def engines(
    registry: DeviceRegistry, here: str | None, config: Config
) -> dict[str, IntentRecognizer]:
    """The readers compared: edge-os with and without its learned path, and hassil."""
    plain = IntentSettings(cache_size=0, llm_fallback=False, retrieval=False)
    learned = IntentSettings(cache_size=0, llm_fallback=False)
    reader = load_retrieval(registry, learned, config.state_dir, here)
    if reader is None:
        raise SystemExit("the sentence encoder is not built: edge-os models build embed")
    return {
        "edge_os": IntentEngine(registry, learned, default_area=here, retrieval=reader),
        "grammar_only": IntentEngine(registry, plain, default_area=here),
        "hassil": HassilRecognizer(registry, here),
    }


def score_set(
    samples: Sequence[Sample], peers: dict[str, IntentRecognizer], home: DeviceRegistry,
    here: str | None, rounds: int,
) -> dict[str, Any]:  # fmt: skip
    """Each peer's summary (latencies: median over interleaved rounds)."""
    summaries: dict[str, list[dict[str, Any]]] = {name: [] for name in peers}
    for _ in range(rounds):
        for name, engine in peers.items():
            summaries[name].append(run(samples, lambda _s, e=engine: Home(home, e, here)))
    out: dict[str, Any] = {}
    for name, runs in summaries.items():
        first = runs[0]
        keep = ("n", "exact_match", "intent_accuracy", "not_understood", "false_accept",
                "wrong_action", "missed_action", "dangerous")  # fmt: skip
        out[name] = {k: first[k] for k in keep}
        for path, stats in first["by_path"].items():
            out[name][f"{path}_path"] = {
                "n": stats["n"],
                "exact_match": stats["exact_match"],
                "p50_ms": round(statistics.median(r["by_path"][path]["p50_ms"] for r in runs), 3),
                "p95_ms": round(statistics.median(r["by_path"][path]["p95_ms"] for r in runs), 3),
            }
    return out


def not_trained_on(samples: Sequence[Sample], engine: IntentEngine) -> list[Sample]:
    """The held-out lines whose plain sentence (names made plain, as the reader reads it)
    is not word for word in the reader's training phrases: the piles repeat a phrasing
    across devices, so the tune part the reader learns from holds many held-out sentences
    once the names are gone."""
    import yaml

    from edge_os.intent.compiled import words
    from edge_os.intent.grammar import strip_wake_phrase
    from edge_os.intent.plain import training_sentence
    from edge_os.intent.reader import Reader

    reader = engine.retrieval
    assert isinstance(reader, Reader)
    phrases = REPO / "edge_os" / "intent" / "phrases" / "en-home-llm.yaml"
    trained = {t for texts in yaml.safe_load(phrases.read_text("utf-8")).values() for t in texts}
    kept = []
    for sample in samples:
        tokens = strip_wake_phrase(words(sample.text))
        plain = training_sentence(reader.plain_words(tokens, reader.finder.find(tokens)))
        if plain not in trained:
            kept.append(sample)
    return kept


def risk_coverage(samples: Sequence[Sample], engine: IntentRecognizer, home: DeviceRegistry,
                  here: str | None) -> list[dict[str, Any]]:  # fmt: skip
    """Coverage and risk of the learned reader's readings as its threshold moves."""
    from edge_os.intent.scoring import judge

    judged = []
    for sample in samples:
        result = engine.recognize(sample.text, area=here)
        judged.append((result, judge(sample, result, home, here)))
    curve = []
    for threshold in THRESHOLDS:
        answered = [
            (r, v) for r, v in judged
            if r.understood and (r.path != "model" or r.confidence >= threshold)
        ]  # fmt: skip
        wrong = [v for _, v in answered if not v.exact]
        curve.append({
            "threshold": threshold,
            "coverage": round(len(answered) / len(judged), 4),
            "risk": round(len(wrong) / len(answered), 4) if answered else 0.0,
            "dangerous": sum(v.danger is not None for _, v in answered),
            "model_answered": sum(r.path == "model" for r, _ in answered),
        })  # fmt: skip
    return curve


def multi(
    path: Path, engine: IntentEngine, home: DeviceRegistry, here: str | None
) -> dict[str, Any]:
    """Several requests in one sentence: every part read, right device and intent, in order
    or not; dangerous when a planned action is none of the gold parts' actions."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    exact = dangerous = understood = 0
    latencies = []
    for line in lines:
        results = engine.recognize_all(line["text"], area=here)
        latencies.append(sum(r.latency_ms for r in results))
        got = sorted((r.intent or "", tuple(sorted(r.targets))) for r in results)
        gold_parts = [(p["intent"], tuple(sorted(p["targets"]))) for p in line["parts"]]
        understood += all(r.understood for r in results) and len(results) > 1
        exact += got == sorted(gold_parts)
        golden = {
            (r.entity_id, r.action)
            for p in line["parts"]
            for r in plan(IntentResult(line["text"], p["intent"], p["slots"], p["targets"]), home)
        }
        planned = {(r.entity_id, r.action) for res in results for r in plan(res, home)}
        dangerous += bool(planned - golden)
    n = len(lines)
    return {
        "n": n,
        "exact_match": round(exact / n, 4) if n else 0.0,
        "read_as_several": understood,
        "dangerous": dangerous,
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
    }


def main() -> int:
    """Run every set, write the JSON (and a plot), print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per reader")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where results go")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    homes: dict[Path, tuple[DeviceRegistry, str | None, dict[str, IntentRecognizer]]] = {}
    for _, path in SETS.values():
        if path not in homes:
            config = load_config(path)
            registry = DeviceRegistry.from_config(config)
            homes[path] = (registry, config.site.area, engines(registry, config.site.area, config))
    results: dict[str, Any] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores (shared with other jobs)",
        "data": "bench/data/natural (home-llm piles, MIT), bench/data/slurp (SLURP test, "
        "CC BY 4.0), bench/data/written (edge-os's own); quote the *-heldout sets only",
        "sets": {},
    }
    for name, (gold, path) in SETS.items():
        registry, where, readers = homes[path]
        results["sets"][name] = score_set(load_samples(gold), readers, registry, where,
                                          args.rounds)  # fmt: skip
    home, here, peers = homes[NATURAL / "home.yaml"]
    edge = peers["edge_os"]
    assert isinstance(edge, IntentEngine)
    unseen = not_trained_on(load_samples(NATURAL / "heldout.jsonl"), edge)
    results["sets"]["heldout-unseen"] = score_set(unseen, peers, home, here, args.rounds)
    results["risk_coverage"] = risk_coverage(
        load_samples(NATURAL / "heldout.jsonl"), edge, home, here
    )
    slurp_home, slurp_here, slurp_peers = homes[DATA / "slurp" / "home.yaml"]
    results["risk_coverage_slurp"] = risk_coverage(
        load_samples(DATA / "slurp" / "heldout.jsonl"), slurp_peers["edge_os"], slurp_home,
        slurp_here,
    )  # fmt: skip
    results["multi"] = {
        part: multi(NATURAL / f"multi-{part}.jsonl", edge, home, here)
        for part in ("heldout", "tune")
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / "understanding.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(_brief(results), indent=2))
    print(f"wrote {out}")
    plot(results, out.with_suffix(".png"))
    return 0


def _brief(results: dict[str, Any]) -> dict[str, Any]:
    brief: dict[str, Any] = {}
    for name, peers in results["sets"].items():
        brief[name] = {
            peer: {
                "exact": s["exact_match"],
                "dangerous": s["dangerous"]["n"],
                "unasked": s["dangerous"]["unasked"],
                "model_p50_p95": [s["model_path"]["p50_ms"], s["model_path"]["p95_ms"]]
                if "model_path" in s
                else None,
            }
            for peer, s in peers.items()
        }
    brief["multi"] = results["multi"]
    return brief


def plot(results: dict[str, Any], out: Path) -> None:
    """Exact match per set and reader; risk against coverage of the learned reader."""
    plt = pyplot()
    if plt is None:
        return
    names = [n for n in results["sets"] if n.endswith("heldout")]
    peers = ("edge_os", "grammar_only", "hassil")
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    width = 0.27
    for i, peer in enumerate(peers):
        xs = [j + (i - 1) * width for j in range(len(names))]
        left.bar(xs, [results["sets"][n][peer]["exact_match"] for n in names], width,
                 label=peer.replace("_", " "))  # fmt: skip
    left.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
    left.set_ylabel("exact match (held out)")
    left.set_ylim(0, 1)
    left.legend()
    for key, label in (("risk_coverage", "natural"), ("risk_coverage_slurp", "SLURP")):
        curve = results[key]
        right.plot([c["coverage"] for c in curve], [c["risk"] for c in curve], marker="o",
                   label=label)  # fmt: skip
        for point in curve:
            right.annotate(f"{point['threshold']:.2f}", (point["coverage"], point["risk"]))
    right.legend()
    right.set_xlabel("coverage (share of held-out sentences answered)")
    right.set_ylabel("risk (share of answers not exactly right)")
    right.set_title("learned reader: confidence threshold")
    figure.tight_layout()
    figure.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    raise SystemExit(main())
