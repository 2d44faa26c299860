"""INT8 vs fp32 for the wake and VAD models: accuracy, size, speed (``edge-os models quantize``).

Run: ``.venv/bin/python bench/quantize.py`` (under a minute). Quantizes wake-embedding
(static, calibrated on the committed Piper demo and espeak-ng sentences that are NOT in the
evaluation set), wake-hey_jarvis and vad-silero-v6 (dynamic) into a temporary models folder,
then evaluates on the clip set of bench/wake_vad.py (8 voices x 2 commands clean, 4 voices at
10 and 5 dB; 8 other sentences clean and 4 at 10 dB). Also streams the same clips through
the whole front end (mel + embedding + hey_jarvis) all-fp32 vs embedding+classifier int8:
detections and process CPU per second of audio. Last, an experiment that is not a plan of
``edge-os models quantize``: the Piper voice with dynamic int8 (all ops), judged by size,
real-time factor and a speech-to-text round trip (tiny.en, WER). Writes
bench/results/quantize.json.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]
RESULTS = REPO / "bench" / "results"
CALIBRATION = [
    ("good morning, what is on my calendar", "en-us"),
    ("please dim the lights in the hall", "en-gb"),
    ("hey jarvis", "en-us+m3"),
    ("how long until the oven is ready", "en-us+f3"),
]
MODELS = ["wake-embedding", "wake-hey_jarvis", "vad-silero-v6"]
SENTENCES = [
    "Turn on the kitchen light.",
    "The living room temperature is twenty one degrees.",
    "I set a timer for ten minutes.",
    "The front door is locked and the garage is closed.",
]


def clip_set() -> tuple[list[tuple[str, Any, bool]], list[Any]]:
    """(evaluation clips, calibration audio), all 16 kHz chunks."""
    from wake_vad import DEMO, negatives, positives

    from edge_os.audio.wav import read_wav
    from tests import speech

    clips = [(label, read_wav(path), True) for label, path, _ in positives()]
    clips += [(path.name, read_wav(path), False) for path in negatives()]
    calibration = [read_wav(DEMO)]
    calibration += [read_wav(speech.concat(speech.espeak(t, v))) for t, v in CALIBRATION]
    return clips, calibration


def front_end(
    clips: list[tuple[str, Any, bool]], embedding: Path, classifier: Path
) -> dict[str, Any]:
    """Detections and CPU per second of audio of mel + ``embedding`` + ``classifier``."""
    from edge_os.audio.format import AudioChunk
    from edge_os.wake.models import resolve
    from edge_os.wake.openwakeword import OpenWakeWord

    files = replace(
        resolve(["hey_jarvis"]), embedding=embedding, classifiers={"hey_jarvis": classifier}
    )
    detector = OpenWakeWord(files, patience_frames=2, threads=1)
    detected = {True: 0, False: 0}
    cpu_per_second = []
    for _, chunk, positive in clips:
        detector.reset()
        start = time.process_time()
        found = 0
        for offset in range(0, len(chunk.pcm), 2560):
            found += len(
                detector.process(AudioChunk(chunk.pcm[offset : offset + 2560], offset=offset // 2))
            )
        cpu_per_second.append((time.process_time() - start) * 1000 / chunk.seconds)
        detected[positive] += found > 0
    return {
        "positives_detected": detected[True],
        "negatives_detected": detected[False],
        "cpu_ms_per_audio_second_median": round(statistics.median(cpu_per_second), 2),
    }


def main() -> None:
    """Quantize, evaluate, write the JSON."""
    from edge_os.models.manifest import load_manifest
    from edge_os.models.variants import variant_path
    from edge_os.quantize.int8 import quantize

    logging.getLogger().setLevel(logging.ERROR)  # the quantizer warns with whole graph dumps
    clips, calibration = clip_set()
    manifest = load_manifest()
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load": os.getloadavg(),
        },
        "clips": {
            "positives": sum(p for _, _, p in clips),
            "negatives": sum(not p for _, _, p in clips),
        },
        "models": {},
    }
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        for name in MODELS:
            result = quantize(manifest.get(name), store, clips, calibration)
            report = result["report"]
            report.pop("per_clip")
            results["models"][name] = {"method": result["method"], **report}
            print(name, json.dumps(report))
        fp32 = resolve_fp32()
        results["front_end"] = {
            "fp32": front_end(clips, *fp32),
            "int8": front_end(
                clips,
                variant_path(store, manifest.get("wake-embedding")),
                variant_path(store, manifest.get("wake-hey_jarvis")),
            ),
        }
        results["piper_experiment"] = piper(store)
    print("front end", json.dumps(results["front_end"]))
    print("piper", json.dumps(results["piper_experiment"]))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "quantize.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def piper(store: Path) -> dict[str, Any]:
    """Piper en_US-joe-medium fp32 vs dynamic int8: size, real-time factor, STT round trip."""
    import shutil

    import numpy as np
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from edge_os.audio.format import AudioChunk
    from edge_os.models.manifest import load_manifest
    from edge_os.stt.evaluate import score
    from edge_os.stt.whisper import WhisperSpeechToText
    from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice

    source = resolve_voice("en_US-joe-medium")
    int8 = store / "piper" / "en_US-joe-medium.int8.onnx"
    int8.parent.mkdir()
    quantize_dynamic(source, int8, weight_type=QuantType.QInt8)
    shutil.copy(f"{source}.json", f"{int8}.json")
    tiny = load_manifest().get("stt-tiny.en").folder(store)  # used in place, from its package
    stt = WhisperSpeechToText(tiny, cpu_threads=2) if tiny else None
    out: dict[str, Any] = {"sentences": len(SENTENCES)}
    for label, path in (("fp32", source), ("int8", int8)):
        voice = PiperTextToSpeech(path, threads=1)
        list(voice.synthesize("Warm up."))
        factors, heard = [], []
        for text in SENTENCES:
            start = time.perf_counter()
            chunks = list(voice.synthesize(text))
            elapsed = time.perf_counter() - start
            samples = np.frombuffer(b"".join(c.pcm for c in chunks), np.int16).astype(np.float32)
            factors.append(elapsed * voice.format.rate / samples.size)
            at_16k = np.interp(
                np.arange(0, samples.size, voice.format.rate / 16000),
                np.arange(samples.size),
                samples,
            )
            if stt is not None:
                heard.append(stt.transcribe(AudioChunk(at_16k.astype(np.int16).tobytes())).text)
        out[label] = {
            "size_bytes": path.stat().st_size,
            "real_time_factor_median": round(statistics.median(factors), 3),
            "stt_round_trip_wer": round(score(SENTENCES, heard)[0], 3) if heard else None,
            "heard": heard,
        }
    return out


def resolve_fp32() -> tuple[Path, Path]:
    """The installed fp32 embedding and hey_jarvis classifier."""
    from edge_os.wake.models import resolve

    files = resolve(["hey_jarvis"])
    return files.embedding, files.classifiers["hey_jarvis"]


if __name__ == "__main__":
    main()
