"""INT8 variants of edge-os's small ONNX models, with an fp32-vs-int8 accuracy report.

``edge-os models quantize NAME`` writes ``<models_dir>/NAME-int8/`` holding the quantized
file and a ``build.json`` (:mod:`edge_os.models.record`: sha256 of the source and of the
file, method, report). Plans:
the wake classifiers (Gemm) get dynamic quantization; the wake embedding (20 Conv layers)
gets static QDQ, per-channel, calibrated on mel windows of speech; Silero VAD gets dynamic
quantization of its LSTM only (int8 Conv was slower and less accurate). Accuracy is measured
on the given clips through the real stage adapters (OpenWakeWord, SileroVad + Endpointer);
speed is the model alone, one thread, in ms of compute per second of streamed audio.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.errors import ErrorCode, MissingDependencyError, ModelError
from edge_os.models.manifest import ModelSpec
from edge_os.models.record import write_record
from edge_os.models.variants import variant_path

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Kind = Literal["wake-embedding", "wake-classifier", "vad"]
_RATE = INTERNAL_FORMAT.rate
_WAKE_THRESHOLD = 0.5
_TIMING_RUNS = 50


@dataclass(frozen=True)
class QuantPlan:
    """How one model is quantized and judged."""

    kind: Kind
    """Which adapter evaluates it."""
    method: Literal["dynamic", "static"]
    """onnxruntime.quantization entry point."""
    per_channel: bool
    """One weight scale per output channel (static only)."""
    why: str
    """One line on the choice."""
    op_types: tuple[str, ...] = ()
    """Only these operators are quantized (empty: every supported one)."""


_CLASSIFIER = QuantPlan("wake-classifier", "dynamic", False, "3 Gemm layers: int8 weights")
PLANS: dict[str, QuantPlan] = {
    "wake-embedding": QuantPlan(
        "wake-embedding",
        "static",
        True,
        "20 Conv layers: activations matter, QDQ per-channel, MinMax calibration",
    ),
    "wake-hey_jarvis": _CLASSIFIER,
    "wake-alexa": _CLASSIFIER,
    "wake-hey_mycroft": _CLASSIFIER,
    "wake-hey_rhasspy": _CLASSIFIER,
    "vad-silero-v6": QuantPlan(
        "vad",
        "dynamic",
        False,
        "LSTM weights only: int8 Conv (ConvInteger) was slower and 20x less accurate",
        ("LSTM",),
    ),
}
"""Models that can be quantized, by manifest name."""


def quantize(
    spec: ModelSpec,
    models_folder: Path,
    clips: Sequence[tuple[str, AudioChunk, bool]],
    calibration: Sequence[AudioChunk] = (),
) -> dict[str, Any]:
    """Quantize ``spec`` into its variant folder and return its build record with the report.

    ``clips`` are (label, 16 kHz audio, is_positive), the evaluation set (positives must
    hold the wake word for wake models); static plans calibrate on ``calibration``, or on
    the clips' audio when it is empty.
    """
    plan = PLANS.get(spec.name)
    if plan is None:
        raise ModelError(
            ErrorCode.MODEL_MISSING,
            f"{spec.name}: cannot quantize (supported: {', '.join(PLANS)})",
        )
    if not clips:
        raise ModelError(ErrorCode.MODEL_MISSING, f"{spec.name}: no clips to evaluate on")
    calibration = list(calibration) or [chunk for _, chunk, _ in clips]
    for chunk in [*calibration, *(chunk for _, chunk, _ in clips)]:
        chunk.require(INTERNAL_FORMAT)
    source = spec.file_path(spec.files[0], models_folder)
    if source is None:
        raise ModelError(
            ErrorCode.MODEL_MISSING,
            f"{spec.name}: not installed (pip install {' '.join(spec.packages)})",
        )
    out = variant_path(models_folder, spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    _run_quantizer(plan, source, out, calibration)
    report = evaluate(plan, source, out, clips)
    calibration_seconds = sum(c.seconds for c in calibration) if plan.method == "static" else 0
    return write_record(
        out.parent,
        f"{spec.name}-int8",
        source_package=_source_package(spec),
        source_files={source.name: source},
        files=[out.name],
        extra={
            "base_model": spec.name,
            "method": plan.method,
            "per_channel": plan.per_channel,
            "why": plan.why,
            "calibration_seconds": round(calibration_seconds, 2),
            "onnxruntime": _ort_version(),
            "report": report,
        },
    )


def _source_package(spec: ModelSpec) -> str:
    """``package==version`` the quantized file came from: its first installed alternative."""
    for alternative in spec.files[0].sources:
        if all(part.locate() is not None for part in alternative):
            return " + ".join(dict.fromkeys(f"{p.package}=={p.version}" for p in alternative))
    return spec.packages[0]


def _ort_version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def _run_quantizer(
    plan: QuantPlan, source: Path, out: Path, calibration: Sequence[AudioChunk]
) -> None:
    try:
        from onnxruntime.quantization import (
            CalibrationMethod,
            QuantFormat,
            QuantType,
            quantize_dynamic,
            quantize_static,
        )
    except ImportError as err:
        raise MissingDependencyError(err.name or "onnx", "build") from None
    quiet = _NoPreprocessAdvice()
    logging.getLogger().addFilter(quiet)
    try:
        if plan.method == "dynamic":
            quantize_dynamic(
                source,
                out,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=list(plan.op_types) or None,
            )
            return
        reader = _EmbeddingCalibration(calibration)
        quantize_static(
            source,
            out,
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=plan.per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )
    except Exception as err:  # the quantizer raises untyped errors on graphs it cannot handle
        raise ModelError(ErrorCode.MODEL_MISSING, f"{source}: quantization failed: {err}") from err
    finally:
        logging.getLogger().removeFilter(quiet)


class _NoPreprocessAdvice(logging.Filter):
    """Drops the quantizer's root-logger advice to run shape pre-processing (not needed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the advice, True for anything else."""
        return "pre-processing" not in record.getMessage()


def _mel_windows(mel_model: Any, chunk: AudioChunk) -> npt.NDArray[np.float32]:
    """All 76-frame mel windows (8-frame hop) of a clip, shaped for the embedding model."""
    import numpy as np

    audio = chunk.samples().astype(np.float32)[None, :]
    mel = np.squeeze(mel_model.run(None, {"input": audio})[0]) / 10.0 + 2.0
    windows = [mel[i : i + 76] for i in range(0, mel.shape[0] - 76 + 1, 8)]
    return np.asarray(windows, dtype=np.float32)[:, :, :, None]


class _EmbeddingCalibration:
    """onnxruntime CalibrationDataReader: the mel windows of each clip, one batch a clip."""

    def __init__(self, chunks: Sequence[AudioChunk]) -> None:
        from edge_os.runtime.onnx import create_session
        from edge_os.wake.models import models_dir

        mel_model = create_session(models_dir() / "melspectrogram.onnx", threads=1, name="mel")
        batches = [_mel_windows(mel_model, chunk) for chunk in chunks]
        self._items: Iterator[dict[str, Any]] = iter(
            {"input_1": batch} for batch in batches if batch.shape[0]
        )

    def get_next(self) -> dict[str, Any] | None:
        """The next calibration batch, or None when done."""
        return next(self._items, None)


def evaluate(
    plan: QuantPlan, fp32: Path, int8: Path, clips: Sequence[tuple[str, AudioChunk, bool]]
) -> dict[str, Any]:
    """Accuracy, size and speed of ``int8`` against ``fp32`` on the same clips."""
    audio_seconds = sum(chunk.seconds for _, chunk, _ in clips)
    report: dict[str, Any] = {
        "clips": len(clips),
        "audio_seconds": round(audio_seconds, 2),
        "size_bytes": {"fp32": fp32.stat().st_size, "int8": int8.stat().st_size},
        "ms_per_audio_second": {
            "fp32": _model_speed(plan, fp32),
            "int8": _model_speed(plan, int8),
        },
    }
    if plan.kind == "vad":
        report.update(_evaluate_vad(fp32, int8, clips))
    else:
        report.update(_evaluate_wake(plan, fp32, int8, clips))
    return report


def _wake_scores(
    plan: QuantPlan, model: Path, clips: Sequence[tuple[str, AudioChunk, bool]]
) -> list[tuple[float, int, list[float]]]:
    """(max score, detections, score per 80 ms frame) of the wake word on each clip."""
    from edge_os.wake.models import resolve
    from edge_os.wake.openwakeword import OpenWakeWord

    files = resolve(["hey_jarvis"])
    if plan.kind == "wake-embedding":
        files = replace(files, embedding=model)
    else:
        files = replace(files, classifiers={"classifier": model})
    detector = OpenWakeWord(files, threshold=_WAKE_THRESHOLD, patience_frames=1)
    results = []
    for _, chunk, _ in clips:
        detector.reset()
        found = 0
        scores: list[float] = []
        block = 1280 * 2
        for start in range(0, len(chunk.pcm), block):
            part = AudioChunk(chunk.pcm[start : start + block], offset=start // 2)
            found += len(detector.process(part))
            scores.extend(detector.last_scores.values())
        results.append((max(scores, default=0.0), found, scores))
    return results


def _evaluate_wake(
    plan: QuantPlan, fp32: Path, int8: Path, clips: Sequence[tuple[str, AudioChunk, bool]]
) -> dict[str, Any]:
    before = _wake_scores(plan, fp32, clips)
    after = _wake_scores(plan, int8, clips)
    rows: list[dict[str, Any]] = []
    frame_differences: list[float] = []
    for (label, _, positive), (score_a, found_a, frames_a), (score_b, found_b, frames_b) in zip(
        clips, before, after, strict=True
    ):
        frame_differences.extend(abs(a - b) for a, b in zip(frames_a, frames_b, strict=True))
        rows.append(
            {
                "clip": label,
                "positive": positive,
                "max_score": {"fp32": round(score_a, 4), "int8": round(score_b, 4)},
                "detections": {"fp32": found_a, "int8": found_b},
            }
        )

    def summary(positive: bool, variant: str) -> dict[str, Any]:
        chosen = [row for row in rows if row["positive"] is positive]
        return {
            "clips": len(chosen),
            "min_max_score" if positive else "max_max_score": (min if positive else max)(
                (row["max_score"][variant] for row in chosen), default=None
            ),
            "detected": sum(1 for row in chosen if row["detections"][variant] > 0),
        }

    return {
        "threshold": _WAKE_THRESHOLD,
        "positives": {v: summary(True, v) for v in ("fp32", "int8")},
        "negatives": {v: summary(False, v) for v in ("fp32", "int8")},
        "max_abs_score_difference": round(
            max(abs(a[0] - b[0]) for a, b in zip(before, after, strict=True)), 4
        ),
        "mean_abs_frame_score_difference": round(statistics.fmean(frame_differences or [0.0]), 5),
        "decisions_agree": all(
            (a[1] > 0) == (b[1] > 0) for a, b in zip(before, after, strict=True)
        ),
        "per_clip": rows,
    }


def _vad_run(model: Path, chunk: AudioChunk) -> tuple[list[float], list[dict[str, Any]]]:
    """Probabilities per 32 ms window and the endpoints an armed Endpointer finds."""
    from edge_os.vad.endpoint import Endpointer
    from edge_os.vad.silero import SileroVad

    frames = SileroVad(model).process(chunk)
    endpointer = Endpointer()
    endpointer.arm(0)
    endpoints = []
    for frame in frames:
        found = endpointer.update(frame.start, frame.end, frame.probability)
        if found is not None:
            endpoints.append({"kind": found.kind, "ms": round(found.offset * 1000 / _RATE)})
    return [frame.probability for frame in frames], endpoints


def _evaluate_vad(
    fp32: Path, int8: Path, clips: Sequence[tuple[str, AudioChunk, bool]]
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    differences: list[float] = []
    for label, chunk, _ in clips:
        probs_a, ends_a = _vad_run(fp32, chunk)
        probs_b, ends_b = _vad_run(int8, chunk)
        diff = [abs(a - b) for a, b in zip(probs_a, probs_b, strict=True)]
        differences.extend(diff)
        same_kinds = [e["kind"] for e in ends_a] == [e["kind"] for e in ends_b]
        shifts = [abs(a["ms"] - b["ms"]) for a, b in zip(ends_a, ends_b, strict=False)]
        rows.append(
            {
                "clip": label,
                "mean_abs_probability_difference": round(statistics.fmean(diff), 4),
                "max_abs_probability_difference": round(max(diff), 4),
                "endpoints": {"fp32": ends_a, "int8": ends_b},
                "endpoints_agree": same_kinds,
                "endpoint_shift_ms": max(shifts, default=0) if same_kinds else None,
            }
        )
    shifts = [row["endpoint_shift_ms"] for row in rows if row["endpoints_agree"]]
    return {
        "mean_abs_probability_difference": round(statistics.fmean(differences), 4),
        "max_abs_probability_difference": round(max(differences), 4),
        "endpoints_agree": all(row["endpoints_agree"] for row in rows),
        "median_endpoint_shift_ms": statistics.median(shifts) if shifts else None,
        "max_endpoint_shift_ms": max(shifts, default=0),
        "clips_endpoint_shift_over_100_ms": sum(
            1 for row in rows if not row["endpoints_agree"] or row["endpoint_shift_ms"] > 100
        ),
        "per_clip": rows,
    }


def _model_speed(plan: QuantPlan, model: Path) -> float:
    """Median ms of compute per second of streamed audio, the model alone, one thread."""
    import numpy as np

    from edge_os.runtime.onnx import create_session

    session = create_session(model, threads=1, name=model.name)
    rng = np.random.default_rng(0)
    inputs: dict[str, Any]
    if plan.kind == "wake-embedding":
        inputs = {"input_1": rng.normal(1.0, 0.5, (1, 76, 32, 1)).astype(np.float32)}
        runs_per_second = _RATE / 1280
    elif plan.kind == "wake-classifier":
        meta = session.get_inputs()[0]
        shape = (1, int(meta.shape[1]), 96)
        inputs = {meta.name: rng.normal(0.0, 1.0, shape).astype(np.float32)}
        runs_per_second = _RATE / 1280
    else:  # Silero: one call scores the windows of a 100 ms chunk (3 x 512 + 64 context)
        inputs = {
            "input": rng.normal(0.0, 0.1, (3, 576)).astype(np.float32),
            "h": np.zeros((1, 1, 128), dtype=np.float32),
            "c": np.zeros((1, 1, 128), dtype=np.float32),
        }
        runs_per_second = _RATE / (3 * 512)
    return round(_median_ms(lambda: session.run(None, inputs)) * runs_per_second, 3)


def _median_ms(call: Callable[[], object]) -> float:
    call()
    times = []
    for _ in range(_TIMING_RUNS):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
