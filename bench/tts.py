"""Text-to-speech benchmark: real-time factor and time to first audio, Piper vs espeak-ng.

Run: ``.venv/bin/python bench/tts.py`` (about a minute on 2 cores). Measures edge-os's
Piper adapter (``en_US-joe-medium``, 1 and 2 onnxruntime threads), its espeak-ng fallback,
and, as a peer, the ``piper`` command of piper-tts 1.2.0 (``--output_raw``, one process per
answer, so its numbers include loading the voice). Time to first audio is from asking for
speech to the first sentence's PCM being available; RTF is synthesis time / audio length.
Medians over ``--repeats`` runs after one warm-up. Writes bench/results/tts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"

ANSWERS = {
    "short": "Turned on the kitchen light.",
    "medium": "The broker is away; I'll turn on the kitchen light as soon as it's back.",
    "long": (
        "Turned on 3 lights in the kitchen. I couldn't reach the garage door: it did not "
        "answer within 5 seconds. The thermostat is set to 21 degrees. "
        "Do you want me to unlock the front door?"
    ),
}


def measure(tts: Any, text: str) -> dict[str, float]:
    """One synthesis: first-audio and total time, audio length."""
    start = time.perf_counter()
    first: float | None = None
    seconds = 0.0
    sentences = 0
    for chunk in tts.synthesize(text):
        if first is None:
            first = time.perf_counter()
        seconds += chunk.seconds
        sentences += 1
    total = time.perf_counter() - start
    assert first is not None
    return {
        "first_audio_ms": (first - start) * 1000,
        "total_ms": total * 1000,
        "audio_seconds": seconds,
        "sentences": sentences,
        "rtf": total / seconds,
    }


def summarize(runs: list[dict[str, float]]) -> dict[str, float]:
    """Medians of each measure."""
    return {key: round(statistics.median(run[key] for run in runs), 4) for key in runs[0]}


def bench_engine(tts: Any, repeats: int) -> dict[str, Any]:
    """Every answer, one warm-up then ``repeats`` timed runs."""
    out: dict[str, Any] = {}
    for name, text in ANSWERS.items():
        measure(tts, text)
        out[name] = summarize([measure(tts, text) for _ in range(repeats)])
    return out


def bench_piper_cli(model: Path, repeats: int) -> dict[str, Any] | None:
    """The ``piper`` command as a peer: a process per answer, raw PCM streamed on stdout."""
    binary = Path(sys.executable).with_name("piper")
    if not binary.exists():
        return None
    rate = json.loads(Path(f"{model}.json").read_text())["audio"]["sample_rate"]
    out: dict[str, Any] = {}
    for name, text in ANSWERS.items():
        runs = []
        for index in range(repeats + 1):
            start = time.perf_counter()
            process = subprocess.Popen(
                [str(binary), "-m", str(model), "--output_raw"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(text.encode() + b"\n")
            process.stdin.close()
            first_byte = process.stdout.read(2)
            first = time.perf_counter()
            rest = process.stdout.read()
            process.wait()
            total = time.perf_counter() - start
            seconds = (len(first_byte) + len(rest)) / 2 / rate
            if index:  # the first run warms the page cache
                runs.append({
                    "first_audio_ms": (first - start) * 1000,
                    "total_ms": total * 1000,
                    "audio_seconds": seconds,
                    "rtf": total / seconds,
                })  # fmt: skip
        out[name] = summarize(runs)
    return out


def main() -> None:
    """Run every engine and write bench/results/tts.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where the JSON (and PNG) go"
    )
    args = parser.parse_args()

    from edge_os.tts.espeak import EspeakTextToSpeech
    from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice

    model = resolve_voice("en_US-joe-medium")
    engines: dict[str, Any] = {}
    for threads in (1, 2):
        start = time.perf_counter()
        piper = PiperTextToSpeech(model, threads=threads)
        load_ms = (time.perf_counter() - start) * 1000
        engines[f"piper-{threads}-thread"] = {
            "load_ms": round(load_ms, 1),
            **bench_engine(piper, args.repeats),
        }
        print(f"piper {threads} thread(s) done", file=sys.stderr)
    engines["espeak-ng"] = bench_engine(EspeakTextToSpeech(), args.repeats)
    print("espeak-ng done", file=sys.stderr)
    peer = bench_piper_cli(model, args.repeats)
    if peer is not None:
        engines["piper-cli-1.2.0"] = peer

    result = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "note": "shared with other jobs while measured; medians",
        },
        "voice": model.stem,
        "repeats": args.repeats,
        "answers": ANSWERS,
        "espeak_ng": shutil.which("espeak-ng"),
        "engines": engines,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "tts.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(engines, indent=2))


if __name__ == "__main__":
    main()
