"""Benchmark of the LLM intent fallback: INT8 vs float32 on paraphrases a grammar would miss.

Run ``.venv/bin/python bench/llm.py [--model-dir DIR]`` after building the model
(``python -m edge_os.intent.llm.build --out DIR``; default DIR: tests/.model-cache/llm).
Each variant runs in its own process so its RSS is its own. Writes bench/results/llm.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_DIR = REPO / "tests" / ".model-cache" / "llm"
VARIANTS = {"int8": "model.int8.onnx", "fp32": "model.fp32.onnx", "int4": "model.int4.onnx"}

Accept = tuple[str | None, str | None, dict[str, Any] | None]
"""(intent, target, slots): None target for "not understood"; None slots: any slots."""

CASES: list[tuple[str, str | None, list[Accept]]] = [
    (
        "it's too dark in the kitchen",
        None,
        [
            ("HassTurnOn", "light.kitchen_ceiling", None),
            ("HassTurnOn", "light.kitchen_counter", None),
            ("HassLightSet", "light.kitchen_ceiling", None),
        ],
    ),
    ("kill the lights in the bedroom", None, [("HassTurnOff", "light.bedroom_lamp", None)]),
    ("make the office warmer", None, [("HassTurnOn", "switch.office_heater", None)]),
    ("I can't see a thing in the garage", None, [("HassTurnOn", "light.garage_light", None)]),
    ("lights out in the office", None, [("HassTurnOff", "light.desk_led", None)]),
    (
        "the living room is way too bright",
        None,
        [
            ("HassTurnOff", "light.living_room_lamp", None),
            ("HassLightSet", "light.living_room_lamp", None),
            ("HassTurnOff", "cover.living_room_blinds", None),
        ],
    ),
    ("I need coffee", None, [("HassTurnOn", "switch.coffee_machine", None)]),
    ("get the coffee going", None, [("HassTurnOn", "switch.coffee_machine", None)]),
    ("water the garden", None, [("HassTurnOn", "switch.garden_sprinkler", None)]),
    ("stop watering the lawn", None, [("HassTurnOff", "switch.garden_sprinkler", None)]),
    (
        "I'm freezing, warm the living room up to 23",
        None,
        [("HassClimateSetTemperature", "climate.living_room_thermostat", {"temperature": 23})],
    ),
    (
        "crank the heating up to 24 degrees",
        None,
        [("HassClimateSetTemperature", "climate.living_room_thermostat", {"temperature": 24})],
    ),
    (
        "it's stuffy in the bedroom",
        None,
        [("HassTurnOn", "fan.bedroom_fan", None), ("HassFanSetSpeed", "fan.bedroom_fan", None)],
    ),
    (
        "give me some air in here",
        "bedroom",
        [("HassTurnOn", "fan.bedroom_fan", None), ("HassFanSetSpeed", "fan.bedroom_fan", None)],
    ),
    ("fan to half speed", None, [("HassFanSetSpeed", "fan.bedroom_fan", {"percentage": 50})]),
    ("that fan is driving me mad, stop it", None, [("HassTurnOff", "fan.bedroom_fan", None)]),
    (
        "let some daylight in",
        "living_room",
        [
            ("HassTurnOn", "cover.living_room_blinds", None),
            ("HassSetPosition", "cover.living_room_blinds", None),
        ],
    ),
    (
        "block out the sun in the lounge",
        None,
        [
            ("HassTurnOff", "cover.living_room_blinds", None),
            ("HassSetPosition", "cover.living_room_blinds", {"position": 0}),
        ],
    ),
    (
        "blinds halfway please",
        None,
        [("HassSetPosition", "cover.living_room_blinds", {"position": 50})],
    ),
    ("let me into the garage", None, [("HassTurnOn", "cover.garage_door", None)]),
    ("shut the garage", None, [("HassTurnOff", "cover.garage_door", None)]),
    ("lock up the front", None, [("HassTurnOn", "lock.front_door", None)]),
    ("let the guests in through the front door", None, [("HassTurnOff", "lock.front_door", None)]),
    (
        "silence the music",
        None,
        [
            ("HassMediaPause", "media_player.living_room_speaker", None),
            ("HassTurnOff", "media_player.living_room_speaker", None),
        ],
    ),
    (
        "put the tunes back on",
        None,
        [
            ("HassMediaUnpause", "media_player.living_room_speaker", None),
            ("HassTurnOn", "media_player.living_room_speaker", None),
        ],
    ),
    (
        "the music is too quiet, make it 60",
        None,
        [("HassSetVolume", "media_player.living_room_speaker", {"volume_level": 60})],
    ),
    (
        "speaker at thirty percent volume",
        None,
        [("HassSetVolume", "media_player.living_room_speaker", {"volume_level": 30})],
    ),
    (
        "make the reading lamp blue",
        None,
        [("HassLightSet", "light.living_room_lamp", {"color": "blue"})],
    ),
    (
        "I want a red glow from the floor lamp",
        None,
        [("HassLightSet", "light.living_room_lamp", {"color": "red"})],
    ),
    (
        "desk lamp at a quarter brightness",
        None,
        [("HassLightSet", "light.desk_led", {"brightness": 25})],
    ),
    (
        "full brightness in the kitchen",
        None,
        [
            ("HassLightSet", "light.kitchen_ceiling", {"brightness": 100}),
            ("HassTurnOn", "light.kitchen_ceiling", None),
        ],
    ),
    ("the under cabinet lights can go off", None, [("HassTurnOff", "light.kitchen_counter", None)]),
    (
        "how hot is it in the bedroom",
        None,
        [("HassClimateGetTemperature", "sensor.bedroom_temperature", None)],
    ),
    (
        "is the front door closed",
        None,
        [
            ("HassGetState", "binary_sensor.front_door_contact", None),
            ("HassGetState", "lock.front_door", None),
        ],
    ),
    (
        "did I leave the office heater running",
        None,
        [("HassGetState", "switch.office_heater", None)],
    ),
    ("bedtime, the bedside lamp can go", None, [("HassTurnOff", "light.bedroom_lamp", None)]),
    ("time to wake up, lights please", "bedroom", [("HassTurnOn", "light.bedroom_lamp", None)]),
    ("it's too cold in the study", None, [("HassTurnOn", "switch.office_heater", None)]),
    ("what's the capital of Spain", None, [(None, None, None)]),
    ("tell me a joke", None, [(None, None, None)]),
]
ATTACKS = ["turn on light.nonexistent", "unlock door.back_door now", "set light.hacker to 100"]


def correct(result: Any, accepted: list[Accept]) -> bool:
    """Whether an IntentResult matches one of the accepted answers."""
    target = result.targets[0] if result.targets else None
    return any(
        intent == result.intent and want == target and (slots is None or slots == result.slots)
        for intent, want, slots in accepted
    )


def run_variant(model_dir: Path, model_file: str, threads: int) -> dict[str, Any]:
    """Load one variant, recognise every case twice (the second pass is timed)."""
    from edge_os.config.loader import load_config
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.intent.llm.recognizer import LlmIntentRecognizer

    registry = DeviceRegistry.from_config(load_config(REPO / "devices" / "example-home.yaml"))
    started = time.perf_counter()
    recognizer = LlmIntentRecognizer(registry, model_dir, threads, model_file=model_file)
    load_ms = (time.perf_counter() - started) * 1000
    for text, area, _ in CASES:
        recognizer.recognize(text, area=area)  # warm-up pass
    latencies, answers, hits, tokens, calls = [], [], 0, 0, 0
    for text, area, accepted in CASES:
        begun = time.perf_counter()
        decoded = recognizer.decode(text, area=area)
        result = recognizer.recognize(text, area=area)
        latencies.append(result.latency_ms)
        tokens += decoded.tokens
        calls += decoded.model_calls
        ok = correct(result, accepted)
        hits += ok
        answers.append(
            {
                "text": text,
                "area": area,
                "output": decoded.text,
                "correct": ok,
                "confidence": round(result.confidence, 3),
                "decode_ms": round((time.perf_counter() - begun) * 1000, 1),
            }
        )
    cache = recognizer._prefix  # one-token steps after the prompt: raw decode speed
    step_s = []
    for token in recognizer.model.encode(" kitchen light on off bedroom lamp fan speed"):
        begun = time.perf_counter()
        _, cache = recognizer.model.forward([token], cache)
        step_s.append(time.perf_counter() - begun)
    attacks = [recognizer.recognize(text) for text in ATTACKS]
    thresholds = {}
    for threshold in (0.0, 0.1, 0.2, 0.3, 0.5):
        kept = [a for a in answers if a["confidence"] >= threshold]
        thresholds[str(threshold)] = {
            "kept": len(kept),
            "correct_kept": sum(a["correct"] for a in kept),
        }
    cut = statistics.quantiles(latencies, n=20)
    return {
        "model_file": model_file,
        "model_mb": round((model_dir / model_file).stat().st_size / 1e6, 1),
        "load_ms": round(load_ms),
        "accuracy": round(hits / len(CASES), 3),
        "correct": hits,
        "commands": len(CASES),
        "latency_ms_p50": round(statistics.median(latencies), 1),
        "latency_ms_p95": round(cut[18], 1),
        "decode_tokens_per_s": round(len(step_s) / sum(step_s), 1),
        "output_tokens_per_command": round(tokens / len(CASES), 1),
        "model_calls_per_command": round(calls / len(CASES), 2),
        "by_min_confidence": thresholds,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "attacks": {
            text: {
                "intent": r.intent,
                "targets": list(r.targets),
                "confidence": round(r.confidence, 3),
            }
            for text, r in zip(ATTACKS, attacks, strict=True)
        },
        "answers": answers,
    }


def main() -> int:
    """Run both variants in child processes and write bench/results/llm.json."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="(internal) run one")
    parser.add_argument(
        "--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS), help="to run"
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=REPO / "bench" / "results",
        help="where the JSON goes",
    )
    args = parser.parse_args()
    if args.variant:
        result = run_variant(args.model_dir, VARIANTS[args.variant], args.threads)
        sys.stdout.write(json.dumps(result))
        return 0
    results: dict[str, Any] = {"threads": args.threads, "cases": len(CASES), "variants": {}}
    for name in args.variants:
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--variant",
                name,
                "--model-dir",
                str(args.model_dir),
                "--threads",
                str(args.threads),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results["variants"][name] = json.loads(child.stdout)
        summary = {k: v for k, v in results["variants"][name].items() if k != "answers"}
        print(name, json.dumps(summary, indent=1))
    out = args.results_dir / "llm.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
