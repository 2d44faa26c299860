"""``edge-os eval stt``: word and character error rate and speed on a JSONL manifest.

Each line is ``{"file": "clip.wav", "text": "what was said"}``; relative paths are taken
from the manifest's folder. Audio of any common WAV layout is converted to 16 kHz mono.
Texts are normalised by :func:`edge_os.stt.normalize.normalize_text` (lower case, no
punctuation, numbers as digits) and scored corpus-wide with jiwer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_os.config.settings import Config
from edge_os.errors import AudioError, ErrorCode, MissingDependencyError, UsageError
from edge_os.jsonl import clip_path, read_objects
from edge_os.stages.protocols import SpeechToText
from edge_os.stt.normalize import normalize_text


@dataclass(frozen=True)
class Sample:
    """One manifest line: a WAV file and what is said in it."""

    file: Path
    """Absolute path of the clip."""
    text: str
    """Reference transcript."""


def read_manifest(path: Path) -> list[Sample]:
    """Parse the JSONL manifest; UsageError naming file and line on any bad line."""
    samples: list[Sample] = []
    for where, entry in read_objects(path):
        if not isinstance(entry.get("file"), str) or not isinstance(entry.get("text"), str):
            raise UsageError(
                ErrorCode.CONFIG_INVALID,
                f'{where}: expected {{"file": "clip.wav", "text": "what is said"}}',
            )
        if not normalize_text(entry["text"]):
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: text is empty")
        samples.append(Sample(clip_path(path, entry["file"]), entry["text"]))
    return samples


def score(references: list[str], hypotheses: list[str]) -> tuple[float, float]:
    """Corpus WER and CER of normalised texts (jiwer)."""
    try:
        import jiwer
    except ImportError:
        raise MissingDependencyError("jiwer", "stt") from None
    refs = [normalize_text(text) for text in references]
    hyps = [normalize_text(text) for text in hypotheses]
    return float(jiwer.wer(refs, hyps)), float(jiwer.cer(refs, hyps))


def run(samples: list[Sample], stt: SpeechToText) -> dict[str, Any]:
    """Transcribe every sample with ``stt`` and score it."""
    import numpy as np

    from edge_os.audio.wav import read_wav

    hypotheses: list[str] = []
    latencies_ms: list[float] = []
    audio_seconds = 0.0
    for sample in samples:
        try:
            audio = read_wav(sample.file)
        except AudioError as err:
            raise UsageError(err.code, str(err)) from err
        transcript = stt.transcribe(audio)
        hypotheses.append(transcript.text)
        latencies_ms.append(transcript.processing_ms)
        audio_seconds += transcript.audio_seconds
    wer, cer = score([sample.text for sample in samples], hypotheses)
    return {
        "n": len(samples),
        "wer": round(wer, 4),
        "cer": round(cer, 4),
        "rtf": round(sum(latencies_ms) / 1000 / audio_seconds, 4) if audio_seconds else None,
        "p50_ms": round(float(np.percentile(latencies_ms, 50)), 1),
        "p95_ms": round(float(np.percentile(latencies_ms, 95)), 1),
        "audio_seconds": round(audio_seconds, 2),
    }


def evaluate(path: Path, config: Config) -> dict[str, Any]:
    """Accuracy and speed of the configured STT on the clips listed in ``path``."""
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.stt.whisper import create_stt

    samples = read_manifest(path)
    stt = create_stt(config, DeviceRegistry.from_config(config))
    result = run(samples, stt)
    result.update(
        model=config.stt.model,
        compute_type=config.stt.compute_type,
        cpu_threads=config.stt.cpu_threads,
        bias=config.stt.bias_vocabulary,
    )
    return result
