"""Build the configured text-to-speech engine, falling back to espeak-ng when Piper cannot run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from edge_os.audio.format import AudioChunk
from edge_os.config.settings import TtsSettings
from edge_os.errors import MissingDependencyError, ModelError
from edge_os.runtime.onnx import ProviderChoice

if TYPE_CHECKING:
    from edge_os.tts.int8 import VoiceGraphs

_LOGGER = logging.getLogger(__name__)


class Voice(Protocol):
    """A :class:`~edge_os.stages.protocols.TextToSpeech` that also names its engine."""

    engine: str
    """``piper`` or ``espeak-ng``."""
    name: str
    """Voice name (``en_US-joe-medium``, ``espeak-ng:en-us``)."""

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield audio per sentence."""
        ...


def create_tts(
    settings: TtsSettings,
    *,
    state_dir: Path | None = None,
    provider: ProviderChoice = "cpu",
) -> Voice:
    """The engine ``settings`` ask for; espeak-ng with a warning when the Piper voice is missing."""
    from edge_os.tts.espeak import EspeakTextToSpeech

    if settings.engine == "espeak-ng":
        return EspeakTextToSpeech()
    try:
        from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice

        path = resolve_voice(settings.voice, state_dir)
        return PiperTextToSpeech(
            path,
            graphs=_int8_graphs(path, state_dir) if settings.int8_weights else None,
            threads=settings.threads,
            provider=provider,
            length_scale=settings.length_scale,
            sentence_silence_seconds=settings.sentence_silence_seconds,
        )
    except (ModelError, MissingDependencyError) as err:
        _LOGGER.warning(
            "Piper voice %r cannot be used (%s); speaking with espeak-ng", settings.voice, err
        )
        return EspeakTextToSpeech()


def _int8_graphs(voice: Path, state_dir: Path | None) -> VoiceGraphs | None:
    """The INT8-weight copy of ``voice`` (built on first use), or None with a warning when it
    cannot be built: the float32 voice then speaks, a sentence at a time."""
    from edge_os.config.settings import default_state_dir
    from edge_os.models.manifest import models_dir
    from edge_os.tts.int8 import int8_voice

    try:
        return int8_voice(voice, models_dir(state_dir or default_state_dir()))
    except ModelError as err:
        _LOGGER.warning("%s; the Piper voice keeps its float32 weights", err)
        return None
