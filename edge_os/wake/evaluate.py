"""``edge-os eval wake``: false rejects, false accepts per hour and speed on a manifest.

Each line is ``{"file": "clip.wav", "wake": true|false}``; relative paths are taken from
the manifest's folder. A positive clip counts as accepted when the wake word fires at
least once; every detection in a negative clip is a false accept. Clips are streamed
through the detector exactly as live audio would be, after a reset between clips.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_os.config.settings import Config
from edge_os.errors import AudioError, ErrorCode, UsageError
from edge_os.jsonl import clip_path, read_objects

_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Sample:
    """One manifest line: a WAV file and whether the wake word is in it."""

    file: Path
    """Absolute path of the clip."""
    wake: bool
    """True when the clip contains the wake word."""
    line: int
    """Line number in the manifest (for error messages)."""


def read_manifest(path: Path) -> list[Sample]:
    """Parse the JSONL manifest; UsageError naming the file and line on any bad line."""
    samples: list[Sample] = []
    for where, entry in read_objects(path):
        if not isinstance(entry.get("file"), str) or not isinstance(entry.get("wake"), bool):
            raise UsageError(
                ErrorCode.CONFIG_INVALID,
                f'{where}: expected {{"file": "clip.wav", "wake": true|false}}, '
                f"got {json.dumps(entry)}",
            )
        file = clip_path(path, entry["file"])
        if not file.is_file():
            raise UsageError(ErrorCode.CONFIG_INVALID, f"{where}: file {file} does not exist")
        samples.append(Sample(file, entry["wake"], int(where.rsplit(":", 1)[1])))
    return samples


def evaluate(path: Path, config: Config) -> dict[str, Any]:
    """Run the configured wake word over every clip of the manifest at ``path``."""
    from edge_os.audio.wav import AudioFileError, read_wav
    from edge_os.wake.models import resolve
    from edge_os.wake.openwakeword import OpenWakeWord

    samples = read_manifest(path)
    detector = OpenWakeWord(
        resolve(list(config.wake.models)),
        threshold=config.wake.threshold,
        patience_frames=config.wake.patience_frames,
        refractory_seconds=config.wake.refractory_seconds,
        threads=config.wake.threads,
        provider=config.runtime.execution_provider,
    )
    rejects = accepts = positives = 0
    negative_seconds = audio_seconds = busy_seconds = 0.0
    for sample in samples:
        try:
            audio = read_wav(sample.file)
        except AudioFileError as err:
            raise UsageError(err.code, f"{path}:{sample.line}: {err}") from None
        except AudioError as err:
            raise UsageError(err.code, f"{path}:{sample.line}: {sample.file}: {err}") from None
        detector.reset()
        started = time.perf_counter()
        detections = detector.process(audio)
        busy_seconds += time.perf_counter() - started
        audio_seconds += audio.seconds
        if sample.wake:
            positives += 1
            rejects += not detections
        else:
            negative_seconds += audio.seconds
            accepts += len(detections)
    negative_hours = negative_seconds / _SECONDS_PER_HOUR
    return {
        "n": len(samples),
        "false_reject_rate": round(rejects / positives, 4) if positives else None,
        "false_accepts": accepts,
        "false_accepts_per_hour": round(accepts / negative_hours, 2) if negative_hours else None,
        "rtf": round(busy_seconds / audio_seconds, 4) if audio_seconds else None,
        "positives": positives,
        "negatives": len(samples) - positives,
        "negative_seconds": round(negative_seconds, 2),
        "models": [
            Path(name).stem if name.endswith(".onnx") else name for name in config.wake.models
        ],
    }
