"""Speech-to-text benchmark: speed, memory and accuracy of Whisper tiny.en and base.

Run: ``.venv/bin/python bench/stt.py`` (about 5 minutes on 2 cores). Every configuration
(model x compute type x threads) runs in its own subprocess so peak RSS is clean; each
transcribes the same spoken commands (Piper joe voice, 22,050 Hz read and resampled)
``--repeats`` times after two warm-up calls (timed apart: first calls can take seconds);
latencies are medians over all runs. A second part measures the registry vocabulary bias
(WER with and without) on commands naming unusual devices, clean, at 10 dB SNR and in
espeak-ng's voice. Writes bench/results/stt.json and stt.png.
Whisper base is fetched into the models folder first when its halves are installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "stt")]

RESULTS = REPO / "bench" / "results"
MODELS = ("tiny.en", "base")
COMPUTE_TYPES = ("int8", "float32")
THREADS = (1, 2)


def clips(kind: str) -> tuple[list[Path], tuple[str, ...]]:
    """Clips and their texts: everyday commands, or unusual names (clean / 10 dB noise)."""
    from speech import espeak, with_noise
    from stt_corpus import EVERYDAY, UNUSUAL, piper, piper_16k

    if kind == "everyday":
        return [piper(text) for text in EVERYDAY], EVERYDAY
    if kind == "unusual-piper":
        return [piper(text) for text in UNUSUAL], UNUSUAL
    if kind == "unusual-piper-10dB":
        return [with_noise(piper_16k(text), 10) for text in UNUSUAL], UNUSUAL
    if kind == "unusual-espeak":
        return [espeak(text) for text in UNUSUAL], UNUSUAL
    raise ValueError(kind)


def worker(model: str, compute_type: str, threads: int, repeats: int) -> dict[str, Any]:
    """One configuration, in this (fresh) process."""
    from edge_os.audio.wav import read_wav
    from edge_os.config.loader import load_config
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.stt.evaluate import score
    from edge_os.stt.vocabulary import bias_text, registry_terms
    from edge_os.stt.whisper import WhisperSpeechToText, resolve_model_dir

    config = load_config(REPO / "devices" / "example-home.yaml")
    paths, texts = clips("everyday")
    audio = [read_wav(path) for path in paths]
    started = time.perf_counter()
    stt = WhisperSpeechToText(
        resolve_model_dir(model, config.state_dir),
        compute_type=compute_type,
        cpu_threads=threads,
        bias=bias_text(registry_terms(DeviceRegistry.from_config(config))),
    )
    load_ms = (time.perf_counter() - started) * 1000
    # The first calls after loading allocate (float32 with 2 threads: seconds); kept apart.
    warmup_ms = [stt.transcribe(chunk).processing_ms for chunk in audio[:2]]
    latencies_ms: list[float] = []
    rtfs: list[float] = []
    hypotheses: list[str] = []
    for repeat in range(repeats):
        for chunk in audio:
            transcript = stt.transcribe(chunk)
            latencies_ms.append(transcript.processing_ms)
            rtfs.append(transcript.processing_ms / 1000 / chunk.seconds)
            if repeat == 0:
                hypotheses.append(transcript.text)
    wer, cer = score(list(texts), hypotheses)
    return {
        "model": model,
        "compute_type": compute_type,
        "threads": threads,
        "commands": len(audio),
        "runs": len(latencies_ms),
        "command_seconds_median": round(statistics.median(c.seconds for c in audio), 2),
        "latency_ms_median": round(statistics.median(latencies_ms), 1),
        "latency_ms_p95": round(sorted(latencies_ms)[int(0.95 * (len(latencies_ms) - 1))], 1),
        "rtf_median": round(statistics.median(rtfs), 4),
        "load_ms": round(load_ms, 1),
        "warmup_ms": [round(value, 1) for value in warmup_ms],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "wer": round(wer, 4),
        "cer": round(cer, 4),
    }


def bias_worker(model: str) -> list[dict[str, Any]]:
    """WER without and with the unusual home's vocabulary bias, per clip set."""
    from stt_corpus import UNUSUAL_HOME

    from edge_os.audio.wav import read_wav
    from edge_os.config.loader import load_config
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.stt.evaluate import score
    from edge_os.stt.vocabulary import bias_text, registry_terms
    from edge_os.stt.whisper import WhisperSpeechToText, resolve_model_dir

    config = load_config(UNUSUAL_HOME)
    bias = bias_text(registry_terms(DeviceRegistry.from_config(config)))
    plain = WhisperSpeechToText(resolve_model_dir(model, config.state_dir), cpu_threads=2)
    rows: list[dict[str, Any]] = []
    for kind in ("unusual-piper", "unusual-piper-10dB", "unusual-espeak", "everyday"):
        paths, texts = clips(kind)
        audio = [read_wav(path) for path in paths]
        row: dict[str, Any] = {"model": model, "set": kind, "clips": len(audio)}
        for mode in ("none", "hotwords"):
            stt = plain.biased(bias if mode != "none" else None, mode)
            results = [stt.transcribe(chunk) for chunk in audio]
            wer, _ = score(list(texts), [result.text for result in results])
            row[f"wer_{mode}"] = round(wer, 4)
            row[f"latency_ms_median_{mode}"] = round(
                statistics.median(result.processing_ms for result in results), 1
            )
            row[f"errors_{mode}"] = [
                result.text
                for result, text in zip(results, texts, strict=True)
                if score([text], [result.text])[0] > 0
            ]
        rows.append(row)
    return rows


def in_subprocess(args: list[str]) -> Any:
    """Run this script with ``args`` in a fresh interpreter and parse its JSON."""
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def plot(speed: list[dict[str, Any]], out: Path) -> None:
    """Latency per command and peak RSS per configuration, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r['model']}\n{r['compute_type']}\n{r['threads']}t" for r in speed]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = ["tab:blue" if r["model"] == "tiny.en" else "tab:orange" for r in speed]
    left.bar(labels, [r["latency_ms_median"] for r in speed], color=colours)
    left.errorbar(
        labels,
        [r["latency_ms_median"] for r in speed],
        yerr=[[0] * len(speed), [r["latency_ms_p95"] - r["latency_ms_median"] for r in speed]],
        fmt="none",
        ecolor="black",
        capsize=3,
    )
    left.set_ylabel("ms per command (median, bar to p95)")
    left.set_title("STT latency per command (~2 s commands)")
    right.bar(labels, [r["peak_rss_mb"] for r in speed], color=colours)
    right.set_ylabel("peak RSS (MB)")
    right.set_title("Peak memory per configuration")
    for axis in (left, right):
        axis.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=100)


def main() -> int:
    """Benchmark every configuration and the bias; write JSON and PNG."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=2, help="passes over the commands")
    parser.add_argument("--worker", nargs=3, metavar=("MODEL", "COMPUTE", "THREADS"))
    parser.add_argument("--bias-worker", metavar="MODEL")
    parser.add_argument("--quick", action="store_true", help="tiny.en only, no bias part")
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where the JSON (and PNG) go"
    )
    args = parser.parse_args()
    if args.worker:
        model, compute_type, threads = args.worker
        print(json.dumps(worker(model, compute_type, int(threads), args.repeats)))
        return 0
    if args.bias_worker:
        print(json.dumps(bias_worker(args.bias_worker)))
        return 0

    from edge_os.config.settings import Config
    from edge_os.models.manifest import load_manifest, models_dir
    from edge_os.models.store import fetch

    kinds = ("everyday", "unusual-piper", "unusual-piper-10dB", "unusual-espeak")
    for kind in kinds[:1] if args.quick else kinds:
        clips(kind)
    models = ["tiny.en"] if args.quick else list(MODELS)
    try:
        fetch(load_manifest().get("stt-base"), models_dir(Config().state_dir))
    except Exception as err:  # base is optional: benchmark tiny.en alone
        print(f"skipping Whisper base: {err}", file=sys.stderr)
        if "base" in models:
            models.remove("base")
    load_before = os.getloadavg()
    speed = []
    for model in models:
        for compute_type in COMPUTE_TYPES:
            for threads in THREADS:
                row = in_subprocess(
                    ["--worker", model, compute_type, str(threads), "--repeats", str(args.repeats)]
                )
                print(json.dumps(row), file=sys.stderr)
                speed.append(row)
    bias = [
        row
        for model in ([] if args.quick else models)
        for row in in_subprocess(["--bias-worker", model])
    ]
    for row in bias:
        print(
            json.dumps({k: v for k, v in row.items() if not k.startswith("errors")}),
            file=sys.stderr,
        )
    args.results_dir.mkdir(parents=True, exist_ok=True)
    result = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "note": "shared 2-core machine, loaded by other work while measuring: medians",
            "load_average_1min_before_after": [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ],
        },
        "speed": speed,
        "bias": bias,
    }
    out = args.results_dir / "stt.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    plot(speed, args.results_dir / "stt.png")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
